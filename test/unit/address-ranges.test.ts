import { describe, expect, it } from 'vitest';
import { clientAddressBehindProxies, inRanges, parseAddress, parseAddressRange, type AddressRange } from '../../src/domain/address-ranges.ts';

function ranges(...texts: string[]): AddressRange[] {
  return texts.map((text) => {
    const range = parseAddressRange(text);
    if (range === null) throw new Error(`bad range ${text}`);
    return range;
  });
}

describe('parseAddressRange', () => {
  it('takes addresses and CIDR ranges in standard form and refuses everything else', () => {
    expect(parseAddressRange('10.0.0.5')?.[1]).toBe(32);
    expect(parseAddressRange('10.0.0.0/8')?.[1]).toBe(8);
    expect(parseAddressRange('fd00::/8')?.[1]).toBe(8);
    expect(parseAddressRange('::1')?.[1]).toBe(128);
    expect(parseAddressRange('::ffff:127.0.0.1')?.[0].toString()).toBe('127.0.0.1');
    for (const bad of ['', 'localhost', '127.1', '2130706433', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', '1.2.3.4/x']) {
      expect(parseAddressRange(bad), bad).toBeNull();
    }
  });
});

describe('inRanges', () => {
  it('matches by family and prefix', () => {
    const trusted = ranges('10.0.0.0/8', '::1');
    expect(inRanges(parseAddress('10.200.1.1')!, trusted)).toBe(true);
    expect(inRanges(parseAddress('11.0.0.1')!, trusted)).toBe(false);
    expect(inRanges(parseAddress('[::1]')!, trusted)).toBe(true);
    expect(inRanges(parseAddress('::2')!, trusted)).toBe(false);
    expect(inRanges(parseAddress('::ffff:10.1.2.3')!, trusted)).toBe(true);
  });
});

describe('clientAddressBehindProxies', () => {
  const proxies = ranges('127.0.0.1', '10.0.0.0/8');

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddressBehindProxies('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
    expect(clientAddressBehindProxies('127.0.0.1', '198.51.100.1', [])).toBe('127.0.0.1');
  });

  it('takes the last untrusted hop behind trusted proxies', () => {
    expect(clientAddressBehindProxies('127.0.0.1', '198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(clientAddressBehindProxies('::ffff:127.0.0.1', '198.51.100.7, 10.1.1.1', proxies)).toBe('198.51.100.7');
    // A client cannot choose its address by prepending to the header: the rightmost untrusted hop wins.
    expect(clientAddressBehindProxies('127.0.0.1', '1.1.1.1, 198.51.100.2', proxies)).toBe('198.51.100.2');
  });

  it('uses the leftmost hop when every hop is trusted, and stops at a hop that is not an address', () => {
    expect(clientAddressBehindProxies('127.0.0.1', '10.0.0.2, 10.0.0.3', proxies)).toBe('10.0.0.2');
    expect(clientAddressBehindProxies('127.0.0.1', 'garbage, 10.0.0.3', proxies)).toBe('10.0.0.3');
    expect(clientAddressBehindProxies('127.0.0.1', 'garbage', proxies)).toBe('127.0.0.1');
    expect(clientAddressBehindProxies('127.0.0.1', null, proxies)).toBe('127.0.0.1');
  });

  it('returns a peer that is not an IP address unchanged', () => {
    expect(clientAddressBehindProxies('', '1.2.3.4', proxies)).toBe('');
  });
});
