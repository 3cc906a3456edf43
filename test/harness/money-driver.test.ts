/**
 * The money driver's load path (bench/money/main.ts) against a stand-in OrderService (a bare
 * grpc-js server): every pair is CreateOrder as the customer (its own id, the product, the
 * provider, monthly, its API key as bearer) followed by PayOrder of the order just created with
 * the balance method and the same key; failures are counted, not measured; UNIMPLEMENTED stops
 * the loops at once.
 */
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateOrderResponseSchema,
  OrderService,
  PayOrderResponseSchema,
  type CreateOrderRequest,
  type CreateOrderResponse,
  type PayOrderRequest,
  type PayOrderResponse,
} from '../../src/gen/rustbill/order_pb.ts';
import { newId } from '../../src/lib/ids.ts';
import { serviceClient, serviceDefinition } from '../../bench/grpc-js.ts';
import { closedLoop, createAndPay, Failures } from '../../bench/money/main.ts';
import { BALANCE_GATEWAY_ID } from '../../bench/money/orders-dataset.ts';

const customers = [
  { id: newId(), apiKey: 'key-one' },
  { id: newId(), apiKey: 'key-two' },
];
const setup = { customers, productId: newId(), providerInterfaceId: newId() };
/** Order id → the key that created it. */
const created = new Map<string, string>();
const paid: Array<{ orderId: string; key: string; gateway: string }> = [];
const problems: string[] = [];
let mode: 'serve' | 'unimplemented' | 'fail-pay' = 'serve';
let server: grpc.Server;
let address: string;

function keyOf(metadata: grpc.Metadata): string {
  return String(metadata.get('authorization')[0] ?? '').replace(/^Bearer /, '');
}

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(serviceDefinition(OrderService), {
    createOrder: (call: grpc.ServerUnaryCall<CreateOrderRequest, CreateOrderResponse>, callback: grpc.sendUnaryData<CreateOrderResponse>) => {
      if (mode === 'unimplemented') return callback({ code: grpc.status.UNIMPLEMENTED, details: 'not yet' });
      const key = keyOf(call.metadata);
      const request = call.request;
      const owner = customers.find((customer) => customer.apiKey === key);
      if (!owner || owner.id !== request.customerId || request.productId !== setup.productId || request.providerInterfaceId !== setup.providerInterfaceId || request.billingCycle !== 'monthly') {
        problems.push(`bad CreateOrder ${key} ${request.customerId}`);
      }
      const id = newId();
      created.set(id, key);
      callback(null, create(CreateOrderResponseSchema, { order: { id, customerId: request.customerId, status: 'pending', amount: '10.00' } }));
    },
    payOrder: (call: grpc.ServerUnaryCall<PayOrderRequest, PayOrderResponse>, callback: grpc.sendUnaryData<PayOrderResponse>) => {
      if (mode === 'fail-pay') return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'insufficient balance' });
      paid.push({ orderId: call.request.orderId, key: keyOf(call.metadata), gateway: call.request.gatewayInterfaceId });
      callback(null, create(PayOrderResponseSchema, { payment: { paymentId: newId(), gatewayInterfaceId: call.request.gatewayInterfaceId } }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(() => {
  server?.forceShutdown();
});

describe('money driver', () => {
  it('creates and pays orders as their own customers and counts the pairs', async () => {
    const connections = [serviceClient(OrderService, address), serviceClient(OrderService, address)];
    const failures = new Failures();
    const figures = await closedLoop(4, 0.3, failures, createAndPay(setup, connections));
    expect(failures.count).toBe(0);
    expect(problems).toEqual([]);
    expect(figures.completed).toBeGreaterThan(0);
    expect(figures.completed).toBe(paid.length);
    for (const payment of paid) {
      expect(created.get(payment.orderId)).toBe(payment.key);
      expect(payment.gateway).toBe(BALANCE_GATEWAY_ID);
    }
    expect(new Set(paid.map((payment) => payment.key))).toEqual(new Set(['key-one', 'key-two']));
  });

  it('counts failed pairs as failures, not as paid orders', async () => {
    mode = 'fail-pay';
    const failures = new Failures();
    const figures = await closedLoop(2, 0.2, failures, createAndPay(setup, [serviceClient(OrderService, address)]));
    expect(figures.completed).toBe(0);
    expect(figures.errors).toBeGreaterThan(0);
    expect(failures.summary()).toMatch(/insufficient balance/);
    expect(failures.onlyUnimplemented()).toBe(false);
  });

  it('stops at once when the server does not implement the calls', async () => {
    mode = 'unimplemented';
    const failures = new Failures();
    const figures = await closedLoop(3, 5, failures, createAndPay(setup, [serviceClient(OrderService, address)]));
    expect(figures.completed).toBe(0);
    expect(failures.onlyUnimplemented()).toBe(true);
    expect(failures.count).toBeLessThanOrEqual(3);
  });
});
