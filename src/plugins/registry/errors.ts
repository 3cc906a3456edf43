/**
 * How the plugin layer refuses requests and how a failing plugin reads to the person calling.
 * Both end up as a {@link DomainError}, which the call pipeline (src/grpc/errors.ts) answers with
 * the gRPC status of its kind: handlers translate nothing themselves.
 */
import { DomainError } from '../../domain/errors.ts';
import type { PluginError } from '../types.ts';

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

/**
 * What a failing plugin call means for the caller, as a {@link DomainError} (admin-readable, the
 * script's message clipped to 500 characters, no stack traces):
 * - `timeout`, `host_error` → unavailable (retry later);
 * - `script_error` → failed_precondition with the script's own message;
 * - `memory` → failed_precondition;
 * - `syntax`, `contract`, `forbidden` → failed_precondition: fix the script.
 */
export function pluginFailure(error: PluginError): DomainError {
  const message = error.message.length > 500 ? `${error.message.slice(0, 500)}…` : error.message;
  switch (error.kind) {
    case 'timeout':
      return new DomainError('unavailable', `the plugin did not finish within its time limit (${message}); try again later`);
    case 'host_error':
      return new DomainError('unavailable', `the plugin's outbound call failed: ${message}; try again later`);
    case 'script_error':
      return new DomainError('failed_precondition', `the plugin reported an error: ${message}`);
    case 'memory':
      return new DomainError('failed_precondition', `the plugin script exceeded its memory limit: ${message}`);
    case 'syntax':
    case 'contract':
    case 'forbidden':
      return new DomainError('failed_precondition', `the plugin script cannot run (${error.kind}): ${message}; fix the script`);
  }
}
