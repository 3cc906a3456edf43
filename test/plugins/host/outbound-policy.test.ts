import { describe, expect, it } from 'vitest';
import { AppConfigSchema } from '../../../cluster.config.ts';
import { isAllowListEntry, judgeAddress, NO_ALLOW_LIST, parseAllowList } from '../../../src/plugins/host/outbound-policy.ts';

/** The verdict's refusing range, or 'allowed'. */
function rule(address: string, allow = NO_ALLOW_LIST, host?: string): string {
  const verdict = judgeAddress(address, allow, host);
  return verdict.allowed ? `allowed (${verdict.by})` : verdict.range;
}

describe('outbound policy: the default rule', () => {
  it('allows global unicast IPv4 and IPv6', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.0', '192.169.0.1', '100.63.255.255', '100.128.0.0', '11.0.0.1']) {
      expect(rule(address), address).toBe('allowed (global)');
    }
    for (const address of ['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e']) {
      expect(rule(address), address).toBe('allowed (global)');
    }
  });

  it('refuses loopback, unspecified, private, link-local and carrier-grade NAT IPv4', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['10.0.0.1', 'private'],
      ['10.255.255.255', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.10', 'private'],
      ['169.254.169.254', 'link-local'],
      ['169.254.0.1', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.127.255.255', 'carrier-grade NAT'],
    ];
    for (const [address, range] of cases) expect(rule(address), address).toBe(range);
  });

  it('refuses the other special IPv4 ranges: multicast, broadcast, reserved, documentation, benchmarking', () => {
    const cases: Array<[string, string]> = [
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.0.8', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['198.51.100.7', 'reserved'],
      ['203.0.113.9', 'reserved'],
      ['198.18.0.1', 'reserved'],
      ['192.88.99.1', 'reserved'],
    ];
    for (const [address, range] of cases) expect(rule(address), address).toBe(range);
  });

  it('refuses special IPv6 ranges and everything outside 2000::/3', () => {
    const cases: Array<[string, string]> = [
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['fc00::1', 'unique local (private)'],
      ['fd00:ec2::254', 'unique local (private)'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'reserved'],
      ['2002:7f00:1::1', '6to4'],
      ['2001:0:4136:e378::1', 'teredo'],
      ['100::1', 'discard'],
      ['::7f00:1', 'reserved'], // the deprecated IPv4-compatible form of 127.0.0.1
      ['::a00:1', 'reserved'],
      ['4000::1', 'reserved'],
      ['fec0::1', 'site-local (deprecated)'],
    ];
    for (const [address, range] of cases) expect(rule(address), address).toBe(range);
  });

  it('judges IPv4-mapped IPv6 as the IPv4 address it maps', () => {
    expect(judgeAddress('::ffff:127.0.0.1', NO_ALLOW_LIST)).toEqual({ allowed: false, address: '127.0.0.1', range: 'loopback' });
    expect(judgeAddress('::ffff:7f00:1', NO_ALLOW_LIST)).toEqual({ allowed: false, address: '127.0.0.1', range: 'loopback' });
    expect(rule('::ffff:10.1.2.3')).toBe('private');
    expect(rule('::ffff:169.254.169.254')).toBe('link-local');
    expect(rule('::ffff:0.0.0.0')).toBe('unspecified');
    expect(rule('::ffff:8.8.8.8')).toBe('allowed (global)');
  });

  it('judges NAT64 (64:ff9b::/96) by the IPv4 address it embeds', () => {
    expect(rule('64:ff9b::808:808')).toBe('allowed (global)'); // 8.8.8.8
    expect(judgeAddress('64:ff9b::7f00:1', NO_ALLOW_LIST)).toEqual({ allowed: false, address: '127.0.0.1', range: 'loopback' });
    expect(rule('64:ff9b::a9fe:a9fe')).toBe('link-local'); // 169.254.169.254
  });

  it('throws for something that is not an IP address', () => {
    expect(() => judgeAddress('localhost', NO_ALLOW_LIST)).toThrow('not an IP address');
  });
});

describe('outbound policy: the allow-list', () => {
  it('opens single addresses and CIDR ranges, IPv4 and IPv6', () => {
    const allow = parseAllowList(['10.0.0.5', '192.168.0.0/16', 'fd00::/8', '::1']);
    expect(rule('10.0.0.5', allow)).toBe('allowed (allow-list)');
    expect(rule('10.0.0.6', allow)).toBe('private');
    expect(rule('192.168.77.1', allow)).toBe('allowed (allow-list)');
    expect(rule('fd12::1', allow)).toBe('allowed (allow-list)');
    expect(rule('fc00::1', allow)).toBe('unique local (private)');
    expect(rule('::1', allow)).toBe('allowed (allow-list)');
    expect(rule('127.0.0.1', allow)).toBe('loopback');
  });

  it('matches an IPv4 entry against the IPv4-mapped form of the address as well', () => {
    const allow = parseAllowList(['127.0.0.1']);
    expect(rule('::ffff:127.0.0.1', allow)).toBe('allowed (allow-list)');
    expect(rule('127.0.0.2', allow)).toBe('loopback');
    expect(rule('127.0.0.2', parseAllowList(['127.0.0.0/8']))).toBe('allowed (allow-list)');
  });

  it('opens every address of an allow-listed host name, for that name only (case and trailing dot ignored)', () => {
    const allow = parseAllowList(['Incus.LAN', 'localhost']);
    expect(rule('10.1.1.1', allow, 'incus.lan')).toBe('allowed (allow-list)');
    expect(rule('10.1.1.1', allow, 'incus.lan.')).toBe('allowed (allow-list)');
    expect(rule('127.0.0.1', allow, 'LOCALHOST')).toBe('allowed (allow-list)');
    expect(rule('10.1.1.1', allow, 'evil.example')).toBe('private');
    expect(rule('10.1.1.1', allow)).toBe('private');
  });

  it('accepts host names, standard IP literals and CIDR ranges; refuses everything else with the entry named', () => {
    for (const entry of ['incus.lan', 'localhost', 'gw-1.internal.example.com', '10.0.0.5', '10.0.0.0/8', '::1', 'fd00::/8', '0.0.0.0/0']) {
      expect(isAllowListEntry(entry), entry).toBe(true);
    }
    for (const entry of ['', '127.1', '2130706433', '10.0.0.0/33', 'fd00::/129', 'http://x', 'a b', '-x.lan', 'x..lan', '10.0.0.256', '0x7f.0.0.1', 'host:8080']) {
      expect(isAllowListEntry(entry), entry).toBe(false);
    }
    expect(() => parseAllowList(['10.0.0.0/8', '127.1'])).toThrow('[plugins] outbound_allow: "127.1" is neither a host name nor an IP address or CIDR range');
  });

  it('is checked when the configuration is loaded ([plugins] outbound_allow, default empty)', () => {
    const defaults = AppConfigSchema.parse({}).plugins;
    expect(defaults.outbound_allow).toEqual([]);
    expect(defaults.max_response_bytes).toBe(4 * 1024 * 1024);
    const bad = AppConfigSchema.safeParse({ plugins: { outbound_allow: ['10.0.0.0/8', '127.1'] } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['plugins', 'outbound_allow', 1], message: expect.stringContaining('must be a host name, an IP address or a CIDR range') });
    expect(AppConfigSchema.parse({ plugins: { outbound_allow: ['incus.lan', '10.0.0.0/8'] } }).plugins.outbound_allow).toEqual(['incus.lan', '10.0.0.0/8']);
    expect(AppConfigSchema.safeParse({ plugins: { max_response_bytes: 512 * 1024 * 1024 } }).success).toBe(false);
  });
});
