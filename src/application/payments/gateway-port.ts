/**
 * The payment gateways as the money path uses them (PaymentService; plugin guide: create_payment,
 * query_payment, handle_callback, refund). Implemented over the plugin registry's gateway calls
 * (src/plugins/registry/gateways.ts), which build the callback URL the gateway notifies.
 * Money is a decimal string with two places.
 */

/** What a gateway says about a payment. */
export interface GatewayReport {
  /** Our payment id (the gateway's out_trade_no). */
  paymentId: string;
  gatewayTxId: string | null;
  status: 'pending' | 'success' | 'failed' | 'refunded';
  paidAt: string | null;
  /** What the gateway says was paid, when it says. */
  amount: string | null;
}

/** The gateway side of the money path. Methods throw PluginError / PluginRegistryError on failure. */
export interface PaymentGateways {
  /** True when `interfaceId` is an enabled gateway interface. */
  isGateway(interfaceId: string): Promise<boolean>;
  create(interfaceId: string, input: { paymentId: string; amount: string; description: string; returnUrl: string }): Promise<{
    gatewayPaymentId: string;
    paymentUrl: string | null;
    qrCode: string | null;
    instructions: string | null;
  }>;
  query(interfaceId: string, paymentId: string): Promise<GatewayReport>;
  /** Verifies a notification (signature, merchant) and reads it. */
  callback(interfaceId: string, payload: string): Promise<GatewayReport & { ack: string; duplicate: boolean }>;
  refund(interfaceId: string, paymentId: string, amount: string): Promise<GatewayReport>;
}
