import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLES_SNAPSHOT, examplesFrom, parseExamples, specDir } from './spec-examples.ts';

describe('the spec examples extraction', () => {
  it('reads a grpcurl example with and without a token', () => {
    const text = [
      'grpcurl -plaintext -H "authorization: Bearer <token>" \\',
      `-d '{"id":"x"}' \\`,
      'localhost:50051 rustbill.customer.CustomerService/GetCustomer',
      'grpcurl -plaintext \\',
      `-d '{"pagination":{"page":1}}' \\`,
      'localhost:50051 rustbill.product.ProductService/ListProducts',
    ].join('\n');
    expect(parseExamples(text, 'f.md')).toEqual([
      { file: 'f.md', method: 'rustbill.customer.CustomerService/GetCustomer', authenticated: true, body: { id: 'x' } },
      { file: 'f.md', method: 'rustbill.product.ProductService/ListProducts', authenticated: false, body: { pagination: { page: 1 } } },
    ]);
  });

  it('finds every example of the customer and product references, and the snapshot is current', () => {
    const dir = specDir();
    const snapshot: unknown = JSON.parse(readFileSync(EXAMPLES_SNAPSHOT, 'utf8'));
    if (dir === null) {
      expect(Array.isArray(snapshot) && snapshot.length).toBe(16);
      return;
    }
    const live = examplesFrom(dir);
    expect(live.map((example) => example.method.split('/')[1])).toEqual([
      'CreateCustomer', 'ListCustomers', 'GetCustomer', 'UpdateCustomer', 'DeleteCustomer',
      'CreateProduct', 'ListProducts', 'GetProduct', 'UpdateProduct', 'DeleteProduct', 'SyncProducts',
      'BatchSetActive', 'BatchSetGroup', 'BatchDelete', 'ImportUpstreamProducts', 'BatchUpdatePrice',
    ]);
    expect(snapshot, 'test/contract/spec-examples.json is stale: run npm run spec:snapshot').toEqual(live);
  });
});
