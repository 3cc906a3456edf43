/**
 * In the main thread: performs the host calls a sandbox thread asks for (thread-host.ts) with the
 * real {@link HostServices}, for the call the thread is running.
 */
import type { HostServices, PluginCallContext } from '../types.ts';
import { transferableBytes, type HostRequest, type HttpAnswer } from './protocol.ts';

/** The call a host request belongs to, as the main thread knows it (the thread's word is not taken for it). */
export interface RelayScope {
  host: HostServices;
  context: PluginCallContext;
  /** False while inspecting a script: there is no interface, so no state namespace. */
  stateAvailable: boolean;
  /** Aborted when the call ends; passed to HTTP requests as `OutboundRequest.signal`. */
  signal: AbortSignal;
}

/** A host call's value and the buffers to transfer with it. */
export interface RelayAnswer {
  value: HttpAnswer | string | undefined;
  transfer: ArrayBuffer[];
}

/**
 * Performs `call` for the call described by `scope`.
 * - `http`: `host.http({...request, signal}, context)` → `{status, headers, bodyBytes}` (the
 *   body's buffer is transferred when it can be)
 * - `smtpSend`, `stateGet` (→ the value), `stateSet`: on the call's interface
 * @throws whatever the host service throws; Error when state is asked for outside an interface call
 */
export async function relayHostCall(scope: RelayScope, call: HostRequest): Promise<RelayAnswer> {
  const { host, context } = scope;
  switch (call.op) {
    case 'http': {
      const response = await host.http({ ...call.request, signal: scope.signal }, context);
      const answer: HttpAnswer = { status: response.status, headers: response.headers, bodyBytes: response.bodyBytes };
      return { value: answer, transfer: transferableBytes(response.bodyBytes) };
    }
    case 'smtpSend':
      await host.smtpSend(call.config, call.email, context);
      return { value: undefined, transfer: [] };
    case 'stateGet':
      if (!scope.stateAvailable) throw new Error('state_get: plugin state is only available in calls made for an interface');
      return { value: await host.stateGet(context.interfaceId, call.key), transfer: [] };
    case 'stateSet':
      if (!scope.stateAvailable) throw new Error('state_set: plugin state is only available in calls made for an interface');
      await host.stateSet(context.interfaceId, call.key, call.value);
      return { value: undefined, transfer: [] };
  }
}
