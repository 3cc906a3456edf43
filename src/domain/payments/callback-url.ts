/**
 * Where payment gateways send their asynchronous notifications (the guide's `notify_url`, 异步通知地址).
 *
 * RustBill has each gateway interface carry its own `notify_url` in its config. NodeBill serves one
 * plain HTTP route per gateway interface on its shared port, `GET|POST /callback/{interface_id}`
 * (src/grpc/payment-callback-route.ts), and when `[server] public_url` is set it hands the gateway
 * `callbackUrl(public_url, interface_id)` as the `notify_url` business field of `create_payment`
 * (business fields win over the config), so no admin has to type the URL; with `public_url`
 * empty the interface's configured `notify_url` is used, as in RustBill. Pure, no I/O.
 */

/** The path prefix of the callback route: `/callback/{interface_id}`. */
export const CALLBACK_PATH_PREFIX = '/callback/';

/**
 * The callback URL of a gateway interface: `${baseUrl}/callback/${interfaceId}`, trailing slashes
 * of `baseUrl` dropped (`https://bill.example.com/` and `https://bill.example.com` give the same
 * URL; a base with a path, `https://example.com/billing`, keeps it). The id is URL-encoded.
 * @param baseUrl the server's public base URL (`[server] public_url`), e.g. `https://bill.example.com`
 * @param interfaceId the gateway interface's id (a UUID)
 * @throws Error when `baseUrl` is empty (there is no callback URL without a public address)
 */
export function callbackUrl(baseUrl: string, interfaceId: string): string {
  const base = baseUrl.trim().replace(/\/+$/, '');
  if (base === '') throw new Error('callbackUrl needs a base URL ([server] public_url is empty)');
  return `${base}${CALLBACK_PATH_PREFIX}${encodeURIComponent(interfaceId)}`;
}
