import { DomainError } from '../../domain/errors.ts';

/** Why a registry operation was refused (the kinds of {@link DomainError} the registry uses). */
export type RegistryErrorKind = 'invalid_argument' | 'not_found' | 'already_exists' | 'failed_precondition';

/**
 * A refused plugin registry operation: a {@link DomainError}, so the call pipeline answers it with
 * the status of its kind. `message` is written for the admin (says what is wrong and what to do)
 * and never contains secrets or stack traces.
 */
export class PluginRegistryError extends DomainError {
  declare readonly kind: RegistryErrorKind;
  constructor(kind: RegistryErrorKind, message: string) {
    super(kind, message);
    this.name = 'PluginRegistryError';
  }
}
