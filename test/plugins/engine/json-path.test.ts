import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonArrayLen, jsonGet, parseJsonPath } from '../../../src/plugins/engine/json-path.ts';
import { engineBed, gateway, type EngineBed } from './support.ts';

const DOC = JSON.stringify({
  key: 'value',
  parent: { child: 'nested', n: 42, flag: true, none: null, obj: { a: 1 } },
  arr: [{ name: 'first' }, { name: 'second', tags: ['x', 'y'] }],
  matrix: [[1, 2], [3, 4]],
  meta: { state: { network: { eth0: { addresses: [{ address: '10.0.0.5' }] } } } },
  'a/b': 'slash',
  'tilde~': 'tilde',
  empty: '',
});

describe('parseJsonPath', () => {
  it('reads the guide syntax', () => {
    expect(parseJsonPath('key')).toEqual(['key']);
    expect(parseJsonPath('parent.child')).toEqual(['parent', 'child']);
    expect(parseJsonPath('arr[0]')).toEqual(['arr', 0]);
    expect(parseJsonPath('arr[0].name')).toEqual(['arr', 0, 'name']);
    expect(parseJsonPath('matrix[1][0]')).toEqual(['matrix', 1, 0]);
    expect(parseJsonPath('meta.state.network.eth0.addresses[0].address')).toEqual(['meta', 'state', 'network', 'eth0', 'addresses', 0, 'address']);
    expect(parseJsonPath('')).toEqual([]);
    expect(parseJsonPath('/arr/0/name')).toEqual(['arr', '0', 'name']);
    expect(parseJsonPath('/a~1b')).toEqual(['a/b']);
  });

  it('refuses malformed paths', () => {
    for (const path of ['a..b', '.a', 'a.', 'arr[', 'arr[x]', 'arr[-1]', 'arr[0]b']) expect(parseJsonPath(path), path).toBeNull();
  });
});

describe('jsonGet / jsonArrayLen', () => {
  it('returns strings as they are and other leaves as JSON text', () => {
    expect(jsonGet(DOC, 'key')).toBe('value');
    expect(jsonGet(DOC, 'parent.child')).toBe('nested');
    expect(jsonGet(DOC, 'parent.n')).toBe('42');
    expect(jsonGet(DOC, 'parent.flag')).toBe('true');
    expect(jsonGet(DOC, 'parent.none')).toBe('null');
    expect(jsonGet(DOC, 'parent.obj')).toBe('{"a":1}');
    expect(jsonGet(DOC, 'arr[1].tags')).toBe('["x","y"]');
    expect(jsonGet(DOC, 'arr[0].name')).toBe('first');
    expect(jsonGet(DOC, 'arr.1.name')).toBe('second');
    expect(jsonGet(DOC, 'matrix[1][0]')).toBe('3');
    expect(jsonGet(DOC, 'meta.state.network.eth0.addresses[0].address')).toBe('10.0.0.5');
    expect(jsonGet(DOC, '/a~1b')).toBe('slash');
    expect(jsonGet(DOC, '/tilde~0')).toBe('tilde');
    expect(jsonGet(DOC, 'empty')).toBe('');
  });

  it('returns "" for anything missing, malformed or not JSON', () => {
    expect(jsonGet(DOC, 'nope')).toBe('');
    expect(jsonGet(DOC, 'parent.nope')).toBe('');
    expect(jsonGet(DOC, 'arr[5].name')).toBe('');
    expect(jsonGet(DOC, 'key.deeper')).toBe('');
    expect(jsonGet(DOC, 'arr[x]')).toBe('');
    expect(jsonGet('not json', 'key')).toBe('');
    expect(jsonGet(DOC, 'toString')).toBe('');
  });

  it('counts arrays, and gives 0 for anything else', () => {
    expect(jsonArrayLen(DOC, 'arr')).toBe(2);
    expect(jsonArrayLen(DOC, 'arr[1].tags')).toBe(2);
    expect(jsonArrayLen(DOC, 'matrix[0]')).toBe(2);
    expect(jsonArrayLen('[1,2,3]', '')).toBe(3);
    expect(jsonArrayLen(DOC, 'key')).toBe(0);
    expect(jsonArrayLen(DOC, 'nope')).toBe(0);
    expect(jsonArrayLen('{', 'arr')).toBe(0);
  });
});

describe('json_get / json_array_len / json_stringify inside scripts', () => {
  let bed: EngineBed;
  beforeAll(async () => {
    bed = await engineBed();
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('take a JSON string or an object (the merged config) and the guide paths', async () => {
    const source = gateway(`
      function probe(merged) {
        const h = rustbill_host;
        return [
          h.json_get(merged, 'api_url'),
          h.json_get(merged, 'nested.items[1].name'),
          h.json_get(merged, 'nested.items[0].price'),
          h.json_get(merged, 'missing.path'),
          h.json_get(merged.raw, 'products[0].name'),
          h.json_array_len(merged.raw, 'products'),
          h.json_array_len(merged, 'nested.items'),
          h.json_array_len(merged, 'api_url'),
          h.json_stringify({ payment_id: '123', status: 'success', qr_code: null }),
          h.json_stringify('text'),
          h.json_stringify(undefined),
        ];
      }`);
    const target = await bed.target(source, { api_url: 'https://pay.example.com', nested: { items: [{ name: 'a', price: 1.5 }, { name: 'b' }] } });
    const result = await bed.engine.call(target, 'probe', { raw: JSON.stringify({ products: [{ name: 'VPS' }, { name: 'GPU' }] }) });
    expect(result).toEqual([
      'https://pay.example.com',
      'b',
      '1.5',
      '',
      'VPS',
      2,
      2,
      0,
      '{"payment_id":"123","status":"success","qr_code":null}',
      '"text"',
      'null',
    ]);
  });
});
