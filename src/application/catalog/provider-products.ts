/**
 * The port through which the catalog gets a provider's products (SyncProducts): the plugin
 * registry's `syncProducts(interfaceId, groupId)`, which runs the provider plugin's
 * `sync_products()` and reads its answer. The catalog depends on this small interface, not on the
 * registry's module, and turns plugin failures into refusals an admin can act on.
 */
import { DomainError } from '../../domain/errors.ts';
import type { ProviderProduct } from '../../domain/catalog/upstream.ts';
import { PluginError } from '../../plugins/types.ts';

/** Where provider products come from (the plugin registry satisfies it). */
export interface ProviderProducts {
  /**
   * The products the provider interface's `sync_products()` returns (not stored).
   * @throws DomainError not_found (unknown or disabled interface), failed_precondition (not a
   *   provider); PluginError when the plugin fails
   */
  syncProducts(interfaceId: string, groupId: string): Promise<readonly ProviderProduct[]>;
}

/**
 * The refusal for a failed `sync_products()` call, as IntegrationService answers plugin failures:
 * a time limit or a failing outbound call is `unavailable` (try again later), a script that threw,
 * returned "ERROR: …", ran out of memory or cannot run is `failed_precondition` (fix the plugin or
 * its config). Refusals (DomainError) pass as they are; anything else is rethrown (an internal error).
 */
export function providerFailure(error: unknown): unknown {
  if (error instanceof DomainError || !(error instanceof PluginError)) return error;
  const message = error.message.length > 500 ? `${error.message.slice(0, 500)}…` : error.message;
  switch (error.kind) {
    case 'timeout':
      return new DomainError('unavailable', `the provider plugin's sync_products() did not finish within its time limit (${message}); try again later`);
    case 'host_error':
      return new DomainError('unavailable', `the provider plugin's outbound call failed: ${message}; try again later`);
    case 'script_error':
      return new DomainError('failed_precondition', `the provider plugin reported an error: ${message}`);
    case 'memory':
      return new DomainError('failed_precondition', `the provider plugin exceeded its memory limit: ${message}`);
    case 'syntax':
    case 'contract':
    case 'forbidden':
      return new DomainError('failed_precondition', `the provider plugin cannot run (${error.kind}): ${message}; fix the script`);
  }
}
