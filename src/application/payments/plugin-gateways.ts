/**
 * The application's {@link PaymentGateways} over the plugin registry's gateway calls
 * (src/plugins/registry/gateways.ts): the notify URL each gateway is given is the server's
 * callback route (`[server] public_url` + `/callback/{interface_id}`), or, when no public URL is
 * configured, the interface's own `notify_url` setting.
 */
import type pg from 'pg';
import { callbackUrl } from '../../domain/payments/callback-url.ts';
import type { GatewayCalls } from '../../plugins/registry/gateways.ts';
import type { PaymentGateways } from './gateway-port.ts';

/** See the file comment. */
export function pluginGateways(deps: { calls: GatewayCalls; pool: pg.Pool; publicUrl: string }): PaymentGateways {
  const { calls, pool, publicUrl } = deps;
  return {
    async isGateway(interfaceId) {
      const { rows } = await pool.query<{ ok: boolean }>("select true as ok from plugin_interfaces where id = $1 and plugin_type = 'gateway' and enabled", [interfaceId]);
      return rows.length > 0;
    },
    create(interfaceId, input) {
      return calls.createPayment(interfaceId, {
        paymentId: input.paymentId, amount: input.amount, description: input.description, returnUrl: input.returnUrl === '' ? null : input.returnUrl,
        notifyUrl: publicUrl === '' ? null : callbackUrl(publicUrl, interfaceId),
      });
    },
    query: (interfaceId, paymentId) => calls.queryPayment(interfaceId, paymentId),
    callback: (interfaceId, payload) => calls.handleCallback(interfaceId, payload),
    refund: (interfaceId, paymentId, amount) => calls.refund(interfaceId, paymentId, amount),
  };
}
