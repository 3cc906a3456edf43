/**
 * The readers of gateway contract results (src/plugins/registry/gateway-results.ts): what they
 * accept, how they normalise, and what they refuse with a PluginError naming the function.
 */
import { describe, expect, it } from 'vitest';
import { readCallbackReport, readCreatedPayment, readGatewayReport, readReportedAmount } from '../../src/plugins/registry/gateway-results.ts';
import { PluginError } from '../../src/plugins/types.ts';

function refused(read: () => unknown, message: RegExp): void {
  let thrown: unknown = null;
  try {
    read();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PluginError);
  expect(thrown).toMatchObject({ kind: 'script_error', message: expect.stringMatching(message) });
}

describe('readCreatedPayment', () => {
  it('reads objects and JSON text; empty strings are null', () => {
    expect(readCreatedPayment({ gateway_payment_id: ' gw-1 ', payment_url: 'https://p', qr_code: '', instructions: null }))
      .toEqual({ gatewayPaymentId: 'gw-1', paymentUrl: 'https://p', qrCode: null, instructions: null });
    expect(readCreatedPayment('{"gateway_payment_id":"gw-2","instructions":"Transfer 1.00"}'))
      .toEqual({ gatewayPaymentId: 'gw-2', paymentUrl: null, qrCode: null, instructions: 'Transfer 1.00' });
  });

  it('refuses a missing id, a non-object, a non-string URL', () => {
    refused(() => readCreatedPayment({ payment_url: 'https://p' }), /^create_payment\(\) returned .*non-empty "gateway_payment_id"/);
    refused(() => readCreatedPayment('https://p'), /^create_payment\(\) returned "https:\/\/p"/);
    refused(() => readCreatedPayment({ gateway_payment_id: 'x', payment_url: { href: 'https://p' } }), /"payment_url" to be a string or null/);
  });
});

describe('readReportedAmount', () => {
  it('gives two places without rounding, null when absent', () => {
    expect(readReportedAmount('f', '12.3')).toBe('12.30');
    expect(readReportedAmount('f', 7)).toBe('7.00');
    expect(readReportedAmount('f', '0.05')).toBe('0.05');
    expect(readReportedAmount('f', '')).toBeNull();
    expect(readReportedAmount('f', undefined)).toBeNull();
  });

  it('refuses more than two places, signs, exponents and words', () => {
    for (const value of ['12.345', '-1.00', '1e3', 'twelve', '1,00', Number.NaN, true]) refused(() => readReportedAmount('query_payment', value), /^query_payment\(\) returned/);
  });
});

describe('readGatewayReport', () => {
  it('normalises status case, reads money as amount, keeps an RFC3339 paid_at with its offset', () => {
    expect(readGatewayReport('query_payment', { payment_id: 'p', status: 'SUCCESS', money: '5', paid_at: '2026-01-02T03:04:05+08:00', gateway_tx_id: 'T1' }))
      .toEqual({ paymentId: 'p', gatewayTxId: 'T1', status: 'success', paidAt: '2026-01-02T03:04:05+08:00', amount: '5.00' });
  });

  it('fills the asked payment id, refuses another one, and needs one when nothing was asked', () => {
    expect(readGatewayReport('refund', { status: 'refunded' }, 'p-9').paymentId).toBe('p-9');
    refused(() => readGatewayReport('refund', { payment_id: 'q', status: 'refunded' }, 'p-9'), /reported payment "q", but was asked about p-9/);
    refused(() => readGatewayReport('handle_callback', { status: 'success' }), /non-empty "payment_id"/);
  });

  it('refuses unknown statuses and times that are not RFC3339', () => {
    refused(() => readGatewayReport('query_payment', { payment_id: 'p', status: 'paid' }), /"status" of "pending", "success", "failed", "refunded"/);
    refused(() => readGatewayReport('query_payment', { payment_id: 'p', status: 'success', paid_at: '2026-01-02 03:04:05' }), /RFC3339/);
    refused(() => readGatewayReport('query_payment', { payment_id: 'p', status: 'success', paid_at: '2026-13-45T03:04:05Z' }), /RFC3339/);
  });
});

describe('readCallbackReport', () => {
  it('defaults ack to "success"; duplicate from duplicate: true or raw_response "duplicate"', () => {
    expect(readCallbackReport({ payment_id: 'p', status: 'success' })).toMatchObject({ ack: 'success', duplicate: false });
    expect(readCallbackReport({ payment_id: 'p', status: 'success', duplicate: true, ack: 'OK' })).toMatchObject({ ack: 'OK', duplicate: true });
    expect(readCallbackReport('{"payment_id":"p","status":"success","raw_response":"duplicate"}')).toMatchObject({ duplicate: true });
  });

  it('refuses an ack that could not be a response body', () => {
    refused(() => readCallbackReport({ payment_id: 'p', status: 'success', ack: 'ok\r\nSet-Cookie: x' }), /"ack" of at most 200 characters without control characters/);
    refused(() => readCallbackReport({ payment_id: 'p', status: 'success', ack: 'x'.repeat(201) }), /"ack" of at most 200/);
  });
});
