import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { decide, validateChanges, validateNewCustomer, type CustomerState } from '../../src/domain/customers/customer.ts';

const at = { customerId: 'c1', now: '2026-12-01T10:00:00Z' };
const fields = { name: 'ACME', contactPerson: 'John', email: 'j@acme.example', phone: '123', company: 'ACME Inc', notes: '', creditLimit: '100.00' };
const state: CustomerState = { id: 'c1', ...fields, balance: '0.00', isActive: true, canCreateApiKeys: false, version: 3, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };


describe('decide: create', () => {
  it('makes a new active customer at version 1 with a zero balance', () => {
    const decision = decide(null, { type: 'create', customer: fields }, at);
    expect(decision.change).toBe('insert');
    expect(decision.next).toEqual({ id: 'c1', ...fields, balance: '0.00', isActive: true, canCreateApiKeys: false, version: 1, createdAt: at.now, updatedAt: at.now });
  });

  it('refuses an id that exists', () => {
    expect(refusal(() => decide(state, { type: 'create', customer: fields }, at)).kind).toBe('already_exists');
  });
});

describe('decide: update', () => {
  it('applies only the given fields, bumps the version and lists what changed', () => {
    const decision = decide(state, { type: 'update', changes: { notes: 'vip', creditLimit: '200.00' } }, at);
    expect(decision.change).toBe('update');
    expect(decision.next).toEqual({ ...state, notes: 'vip', creditLimit: '200.00', version: 4, updatedAt: at.now });
    expect(decision.changed).toEqual(['notes', 'creditLimit']);
  });

  it('writes nothing when nothing changes', () => {
    const decision = decide(state, { type: 'update', changes: { name: 'ACME', isActive: true } }, at);
    expect(decision).toEqual({ next: state, change: 'none', changed: [] });
  });

  it('refuses a missing customer', () => {
    expect(refusal(() => decide(null, { type: 'update', changes: { notes: 'x' } }, at)).kind).toBe('not_found');
  });
});

describe('decide: delete', () => {
  it('deletes a customer whose balance is zero', () => {
    expect(decide(state, { type: 'delete' }, at)).toEqual({ next: null, change: 'delete', changed: [] });
  });

  it('refuses a balance that is not zero, either way, and a missing customer', () => {
    expect(refusal(() => decide({ ...state, balance: '12.50' }, { type: 'delete' }, at)).message).toMatch(/balance of 12\.50/);
    expect(refusal(() => decide({ ...state, balance: '-0.01' }, { type: 'delete' }, at)).kind).toBe('failed_precondition');
    expect(refusal(() => decide(null, { type: 'delete' }, at)).kind).toBe('not_found');
  });
});

describe('validateNewCustomer and validateChanges', () => {
  it('trims, lower-cases the e-mail and formats the credit limit', () => {
    expect(validateNewCustomer({ ...fields, name: '  ACME  ', email: ' J@ACME.Example ', creditLimit: '5' })).toEqual({ ...fields, email: 'j@acme.example', creditLimit: '5.00' });
    expect(validateNewCustomer({ ...fields, creditLimit: '' }).creditLimit).toBe('0.00');
    expect(validateNewCustomer({ ...fields, email: '' }).email).toBe('');
  });

  it('refuses bad fields, naming them', () => {
    expect(refusal(() => validateNewCustomer({ ...fields, name: ' ' })).message).toBe('name is required');
    expect(refusal(() => validateNewCustomer({ ...fields, name: 'x'.repeat(256) })).message).toMatch(/name must be at most 255/);
    expect(refusal(() => validateNewCustomer({ ...fields, email: 'nope' })).message).toMatch(/^email/);
    expect(refusal(() => validateNewCustomer({ ...fields, phone: 'call me' })).message).toMatch(/^phone/);
    expect(refusal(() => validateNewCustomer({ ...fields, creditLimit: '-1' })).message).toMatch(/^credit_limit must not be negative/);
    expect(refusal(() => validateNewCustomer({ ...fields, company: 'a\u0007b' })).message).toMatch(/control characters/);
  });

  it('checks only the changes that are set', () => {
    expect(validateChanges({ notes: 'x', isActive: false })).toEqual({ notes: 'x', isActive: false });
    expect(validateChanges({ creditLimit: '7.5' })).toEqual({ creditLimit: '7.50' });
    expect(refusal(() => validateChanges({ name: '' })).message).toBe('name is required');
    expect(refusal(() => validateChanges({ creditLimit: '1.234' })).message).toMatch(/^credit_limit/);
  });
});
