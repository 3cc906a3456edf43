import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { decide, validateChanges, validateNewCustomer, type CustomerState } from '../../src/domain/customers/customer.ts';

const at = { customerId: 'c1', now: '2026-12-01T10:00:00Z' };
const basic = { name: 'ACME', contactPerson: 'John', email: 'j@acme.example', phone: '123', company: 'ACME Inc', notes: '', creditLimit: '100.00' };
const profile = { customerCode: 'C-1', customerType: 'enterprise' as const, industry: 'hosting', address: '', paymentTermsDays: null, taxNumber: '', country: 'DE', region: 'Bavaria', rating: null, ratingNotes: '' };
const fields = { ...basic, ...profile };
const state: CustomerState = {
  id: 'c1', ...fields, balance: '0.00', isActive: true, canCreateApiKeys: false, deletedAt: null, version: 3, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
};


describe('decide: create', () => {
  it('makes a new active customer at version 1 with a zero balance', () => {
    const decision = decide(null, { type: 'create', customer: fields }, at);
    expect(decision.change).toBe('insert');
    expect(decision.next).toEqual({ id: 'c1', ...fields, balance: '0.00', isActive: true, canCreateApiKeys: false, deletedAt: null, version: 1, createdAt: at.now, updatedAt: at.now });
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

  it('changes the CRM profile and the manual rating like any field, and clears the rating with null', () => {
    const rated = decide(state, { type: 'update', changes: { rating: 5, ratingNotes: 'pays early', customerType: 'retail' } }, at);
    expect(rated.changed).toEqual(['customerType', 'rating', 'ratingNotes']);
    expect(rated.next).toMatchObject({ rating: 5, ratingNotes: 'pays early', customerType: 'retail', version: 4 });
    const cleared = decide({ ...state, rating: 5 }, { type: 'update', changes: { rating: null } }, at);
    expect(cleared.changed).toEqual(['rating']);
    expect(cleared.next?.rating).toBeNull();
  });

  it('changes country and region like any profile field, listing them for the audit row', () => {
    const moved = decide(state, { type: 'update', changes: { country: 'CN', region: 'Shanghai' } }, at);
    expect(moved.change).toBe('update');
    expect(moved.changed).toEqual(['country', 'region']);
    expect(moved.next).toEqual({ ...state, country: 'CN', region: 'Shanghai', version: 4, updatedAt: at.now });
    const cleared = decide(state, { type: 'update', changes: { country: '', region: '' } }, at);
    expect(cleared.changed).toEqual(['country', 'region']);
    expect(cleared.next).toMatchObject({ country: '', region: '' });
    // Absent from the changes, they stay as they are.
    expect(decide(state, { type: 'update', changes: { notes: 'x' } }, at).next).toMatchObject({ country: 'DE', region: 'Bavaria' });
    expect(decide(state, { type: 'update', changes: { country: 'DE', region: 'Bavaria' } }, at)).toEqual({ next: state, change: 'none', changed: [] });
  });

  it('lists country and region among the changes of a new customer', () => {
    expect(decide(null, { type: 'create', customer: fields }, at).changed).toEqual(expect.arrayContaining(['country', 'region']));
  });

  it('refuses to change a deleted customer', () => {
    const deleted = { ...state, isActive: false, deletedAt: '2026-11-01T00:00:00Z' };
    const error = refusal(() => decide(deleted, { type: 'update', changes: { isActive: true } }, at));
    expect(error.kind).toBe('failed_precondition');
    expect(error.message).toMatch(/was deleted on 2026-11-01/);
  });
});

describe('decide: delete', () => {
  it('deletes a customer whose balance is zero: the state a soft deletion keeps (the store removes a row without history)', () => {
    expect(decide(state, { type: 'delete' }, at)).toEqual({
      next: { ...state, isActive: false, deletedAt: at.now, version: 4, updatedAt: at.now }, change: 'delete', changed: ['isActive', 'deletedAt'],
    });
  });

  it('refuses a balance that is not zero, either way, a missing customer and one deleted already', () => {
    expect(refusal(() => decide({ ...state, balance: '12.50' }, { type: 'delete' }, at)).message).toMatch(/balance of 12\.50/);
    expect(refusal(() => decide({ ...state, balance: '-0.01' }, { type: 'delete' }, at)).kind).toBe('failed_precondition');
    expect(refusal(() => decide(null, { type: 'delete' }, at)).kind).toBe('not_found');
    expect(refusal(() => decide({ ...state, deletedAt: '2026-11-01T00:00:00Z' }, { type: 'delete' }, at)).message).toMatch(/deleted already/);
  });
});

describe('validateNewCustomer and validateChanges', () => {
  it('trims, lower-cases the e-mail and formats the credit limit', () => {
    expect(validateNewCustomer({ ...fields, name: '  ACME  ', email: ' J@ACME.Example ', creditLimit: '5' })).toEqual({ ...fields, email: 'j@acme.example', creditLimit: '5.00' });
    expect(validateNewCustomer(basic)).toEqual({ ...basic, customerCode: '', customerType: '', industry: '', address: '', paymentTermsDays: null, taxNumber: '', country: '', region: '', rating: null, ratingNotes: '' });
    expect(validateNewCustomer({ ...basic, customerCode: ' c-9 ', customerType: '经销商', rating: 4, paymentTermsDays: 45 })).toMatchObject({ customerCode: 'c-9', customerType: 'distributor', rating: 4, paymentTermsDays: 45 });
    expect(validateNewCustomer({ ...fields, creditLimit: '' }).creditLimit).toBe('0.00');
    expect(validateNewCustomer({ ...fields, email: '' }).email).toBe('');
  });

  it('refuses bad fields, naming them', () => {
    expect(refusal(() => validateNewCustomer({ ...fields, name: ' ' })).message).toBe('name is required');
    expect(refusal(() => validateNewCustomer({ ...fields, customerCode: 'has space' })).message).toMatch(/^customer_code/);
    expect(refusal(() => validateNewCustomer({ ...fields, customerType: 'government' })).message).toMatch(/^customer_type "government" is not one of/);
    expect(refusal(() => validateNewCustomer({ ...fields, rating: 6 })).message).toMatch(/^rating/);
    expect(refusal(() => validateNewCustomer({ ...fields, paymentTermsDays: -1 })).message).toMatch(/^payment_terms_days/);
    expect(refusal(() => validateChanges({ rating: 0 })).message).toMatch(/^rating/);
    expect(refusal(() => validateNewCustomer({ ...fields, name: 'x'.repeat(256) })).message).toMatch(/name must be at most 255/);
    expect(refusal(() => validateNewCustomer({ ...fields, email: 'nope' })).message).toMatch(/^email/);
    expect(refusal(() => validateNewCustomer({ ...fields, phone: 'call me' })).message).toMatch(/^phone/);
    expect(refusal(() => validateNewCustomer({ ...fields, creditLimit: '-1' })).message).toMatch(/^credit_limit must not be negative/);
    expect(refusal(() => validateNewCustomer({ ...fields, company: 'a\u0007b' })).message).toMatch(/control characters/);
  });

  it('normalises country (upper-case) and region (trimmed), and refuses bad ones naming the field', () => {
    expect(validateNewCustomer({ ...basic, country: 'cn', region: '  Shanghai  ' })).toMatchObject({ country: 'CN', region: 'Shanghai' });
    expect(validateNewCustomer({ ...basic, country: ' ', region: ' ' })).toMatchObject({ country: '', region: '' });
    expect(refusal(() => validateNewCustomer({ ...fields, country: 'China' })).message).toMatch(/^country must be a two-letter ISO 3166-1 country code/);
    expect(refusal(() => validateNewCustomer({ ...fields, country: 'C1' })).kind).toBe('invalid_argument');
    expect(refusal(() => validateNewCustomer({ ...fields, country: 'C1' })).message).toMatch(/^country .*\(got "C1"\)/);
    expect(refusal(() => validateNewCustomer({ ...fields, region: 'r'.repeat(65) })).message).toBe('region must be at most 64 characters, got 65');
    expect(validateChanges({ country: 'de', region: ' Bavaria ' })).toEqual({ country: 'DE', region: 'Bavaria' });
    expect(validateChanges({ country: '', region: '' })).toEqual({ country: '', region: '' });
    expect(validateChanges({ notes: 'x' })).not.toHaveProperty('country');
    expect(refusal(() => validateChanges({ country: 'China' })).message).toMatch(/^country /);
    expect(refusal(() => validateChanges({ region: 'r'.repeat(65) })).message).toMatch(/^region /);
  });

  it('checks only the changes that are set', () => {
    expect(validateChanges({ notes: 'x', isActive: false })).toEqual({ notes: 'x', isActive: false });
    expect(validateChanges({ creditLimit: '7.5' })).toEqual({ creditLimit: '7.50' });
    expect(refusal(() => validateChanges({ name: '' })).message).toBe('name is required');
    expect(refusal(() => validateChanges({ creditLimit: '1.234' })).message).toMatch(/^credit_limit/);
  });
});
