/** Why a registry operation was refused; the service layer maps the kind to a gRPC status. */
export type RegistryErrorKind = 'invalid_argument' | 'not_found' | 'already_exists' | 'failed_precondition';

/**
 * A refused plugin registry operation. `message` is written for the admin (says what is wrong and
 * what to do) and never contains secrets or stack traces.
 */
export class PluginRegistryError extends Error {
  readonly kind: RegistryErrorKind;
  constructor(kind: RegistryErrorKind, message: string) {
    super(message);
    this.name = 'PluginRegistryError';
    this.kind = kind;
  }
}
