/**
 * The outbound address policy of plugin requests (ARCHITECTURE.md "Plugins"): which addresses a
 * plugin's HTTP, mTLS and SMTP connections may reach. Pure functions over `ipaddr.js`;
 * outbound-guard.ts applies them to every address a connection is about to use (after DNS, at
 * connect time).
 *
 * The rule, for one address:
 * 1. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is the IPv4 address `a.b.c.d`; an address of the
 *    NAT64 well-known prefix `64:ff9b::/96` is judged by the IPv4 address it embeds (RFC 6052 §3.1
 *    forbids that prefix for non-global IPv4 addresses, so a public one is a public destination).
 * 2. An address matching an IP or CIDR entry of the allow-list (`[plugins] outbound_allow`) is allowed,
 *    whatever its range; so is every address of a host name on the allow-list (when connecting to
 *    that name).
 * 3. Otherwise only global unicast is allowed: IPv4 whose `ipaddr.js` range is `unicast`, IPv6 whose
 *    range is `unicast` *and* that lies in `2000::/3` (the block IANA allocates from). Refused, with
 *    the range's name: loopback (127/8, ::1), unspecified (0/8, ::), private (10/8, 172.16/12,
 *    192.168/16), unique local (fc00::/7), link-local (169.254/16 — cloud metadata — and fe80::/10),
 *    carrier-grade NAT (100.64/10), multicast, broadcast, and the reserved, documentation,
 *    benchmarking, AS112, AMT, 6to4, Teredo, ORCHID, discard, IPv4-translated, deprecated site-local
 *    and any other IPv6 outside `2000::/3` (`::/8`, which holds the deprecated IPv4-compatible form
 *    `::a.b.c.d`, included).
 */
import ipaddr from 'ipaddr.js';
import { inRanges, parseAddressRange, type AddressRange, type IpAddress } from '../../domain/address-ranges.ts';

type Address = IpAddress;

/** A parsed `[plugins] outbound_allow`. */
export interface AllowList {
  /** Host names, lower case, without a trailing dot. */
  readonly hosts: ReadonlySet<string>;
  /** IP ranges (a single address is a /32 or /128). */
  readonly ranges: readonly AddressRange[];
  /** The entries as configured (for messages). */
  readonly entries: readonly string[];
}

/** What the policy says about one address. */
export type AddressVerdict =
  | { allowed: true; by: 'global' | 'allow-list' }
  | {
      allowed: false;
      /** The address as judged (an IPv4-mapped address as IPv4), e.g. `127.0.0.1`. */
      address: string;
      /** The refusing rule: the range's name, e.g. `loopback`, `private`, `link-local`. */
      range: string;
    };

/** Human names of `ipaddr.js` ranges (those not listed are used as they are). */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique local (private)',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  deprecatedSiteLocal: 'site-local (deprecated)',
  as112v6: 'as112',
  orchid2: 'ORCHID',
  droneRemoteIdProtocolEntityTags: 'drone remote ID',
  segmentRouting: 'segment routing',
};

const GLOBAL_UNICAST_V6: readonly AddressRange[] = [[ipaddr.IPv6.parse('2000::'), 3]];
const NAT64_WELL_KNOWN: readonly AddressRange[] = [[ipaddr.IPv6.parse('64:ff9b::'), 96]];

const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** `name` lower-cased without its trailing dot when it is a DNS host name (and not numeric like `127.1`). */
function hostName(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (lower.length === 0 || lower.length > 253) return undefined;
  const labels = lower.split('.');
  if (!labels.every(label => HOST_LABEL.test(label))) return undefined;
  // A last label of digits only would be read as an IPv4 number by URL parsers (`127.1`, `2130706433`).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return undefined;
  return lower;
}

/**
 * Whether `entry` is a valid `outbound_allow` entry: a host name (`incus.lan`), an IP address in
 * standard form (`10.0.0.5`, `fd00::5`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`). Pure.
 */
export function isAllowListEntry(entry: string): boolean {
  return parseAddressRange(entry) !== null || hostName(entry.trim()) !== undefined;
}

/**
 * Parses `[plugins] outbound_allow`. Pure.
 * @throws Error naming the first entry that is neither a host name nor an IP address or CIDR range
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const ranges: AddressRange[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const range = parseAddressRange(entry);
    if (range !== null) {
      ranges.push(range);
      continue;
    }
    const name = hostName(entry);
    if (name === undefined) {
      throw new Error(`[plugins] outbound_allow: ${JSON.stringify(raw)} is neither a host name nor an IP address or CIDR range (e.g. "10.0.0.0/8")`);
    }
    hosts.add(name);
  }
  return { hosts, ranges, entries: [...entries] };
}

/** The empty allow-list (the default). */
export const NO_ALLOW_LIST: AllowList = parseAllowList([]);

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const [high = 0, low = 0] = address.parts.slice(6);
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The ipaddr.js range name of a normalized address, with IPv6 outside 2000::/3 as `reserved`. */
function rangeOf(address: Address): string {
  if (address.kind() === 'ipv4') return (address as ipaddr.IPv4).range();
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unicast' && !inRanges(v6, GLOBAL_UNICAST_V6)) return 'reserved';
  return range;
}

/**
 * The policy's verdict on connecting to `address` (an IP address as DNS or a URL gives it) for
 * `host` (the host name being connected to; omit it for an IP-literal URL). Pure.
 *
 * @throws Error when `address` is not an IP address
 */
export function judgeAddress(address: string, allow: AllowList, host?: string): AddressVerdict {
  if (!ipaddr.isValid(address)) throw new Error(`not an IP address: ${JSON.stringify(address.slice(0, 60))}`);
  const parsed = ipaddr.parse(address);
  let judged: Address = parsed;
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) judged = v6.toIPv4Address();
    else if (inRanges(v6, NAT64_WELL_KNOWN)) judged = embeddedIPv4(v6);
  }
  const name = host === undefined ? undefined : hostName(host);
  if (name !== undefined && allow.hosts.has(name)) return { allowed: true, by: 'allow-list' };
  if (inRanges(judged, allow.ranges) || inRanges(parsed, allow.ranges)) return { allowed: true, by: 'allow-list' };
  const range = rangeOf(judged);
  if (range === 'unicast') return { allowed: true, by: 'global' };
  return { allowed: false, address: judged.toString(), range: RANGE_NAMES[range] ?? range };
}
