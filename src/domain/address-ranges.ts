/**
 * IP addresses and CIDR ranges as configuration names them (`[server] trusted_proxies`), over
 * `ipaddr.js`. Pure: no I/O, no DNS.
 */
import ipaddr from 'ipaddr.js';

/** An IPv4 or IPv6 address as ipaddr.js parses it. */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** A range: its first address and prefix length (a single address is a /32 or /128). */
export type AddressRange = readonly [IpAddress, number];

/** An IP literal in a standard form (dotted quad, RFC 4291 text), not `127.1` or `2130706433`. */
function strictAddress(text: string): IpAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

/**
 * Parses `10.0.0.5`, `10.0.0.0/8`, `fd00::1` or `fd00::/8` (IPv4-mapped IPv6 ranges are kept as
 * IPv6; addresses are matched after {@link normalizeAddress}). Returns null for anything else.
 */
export function parseAddressRange(text: string): AddressRange | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash < 0) {
    const address = strictAddress(trimmed);
    if (address === undefined) return null;
    const plain = normalizeAddress(address);
    return [plain, plain.kind() === 'ipv4' ? 32 : 128];
  }
  if (strictAddress(trimmed.slice(0, slash)) === undefined || !ipaddr.isValidCIDR(trimmed)) return null;
  return ipaddr.parseCIDR(trimmed);
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address; others unchanged. */
export function normalizeAddress(address: IpAddress): IpAddress {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address();
  return address;
}

/**
 * Parses an address as a socket or a forwarding header reports it (`127.0.0.1`, `::1`,
 * `::ffff:127.0.0.1`, `[::1]`), normalized; null when it is not an IP address.
 */
export function parseAddress(text: string): IpAddress | null {
  const bare = text.trim().replace(/^\[(.*)\]$/, '$1');
  const address = strictAddress(bare);
  return address === undefined ? null : normalizeAddress(address);
}

/** True when `address` (normalized) lies in one of `ranges`. */
export function inRanges(address: IpAddress, ranges: readonly AddressRange[]): boolean {
  return ranges.some(([base, prefix]) => base.kind() === address.kind() && address.match(base, prefix));
}

/**
 * The client's address of a request that reached us from `peer` (the socket's address) carrying
 * `forwardedFor` (the `X-Forwarded-For` header, or null): when `peer` is one of the `trusted`
 * proxies, the header's addresses are walked from the right, skipping trusted proxies, and the first
 * other address is the client; if every hop is trusted, the leftmost is. A hop that is not an IP
 * address ends the walk at the proxy that reported it. When `peer` is not trusted the header is
 * ignored (anybody can send it). Returns the address in normal text form (`::ffff:1.2.3.4` as
 * `1.2.3.4`), or `peer` unchanged when it is not an IP address (a Unix socket, say).
 */
export function clientAddressBehindProxies(peer: string, forwardedFor: string | null, trusted: readonly AddressRange[]): string {
  // The common case (no proxies configured) on every call: only the IPv4-mapped prefix to strip.
  if (trusted.length === 0 || forwardedFor === null) return peer.startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  const peerAddress = parseAddress(peer);
  if (peerAddress === null) return peer;
  let client = peerAddress;
  if (inRanges(peerAddress, trusted)) {
    const hops = forwardedFor.split(',');
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = parseAddress(hops[index] ?? '');
      if (hop === null) break;
      client = hop;
      if (!inRanges(hop, trusted)) break;
    }
  }
  return client.toString();
}
