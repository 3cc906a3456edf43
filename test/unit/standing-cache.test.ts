import { describe, expect, it } from 'vitest';
import { StandingCache } from '../../src/actors/standing-cache.ts';
import type { OverdueStanding } from '../../src/domain/crm/credit-risk.ts';
import type { CustomerState } from '../../src/domain/customers/customer.ts';

const customer = (balance: string): CustomerState => ({
  id: 'c1', name: 'ACME', contactPerson: '', email: '', phone: '', company: '', notes: '', balance, creditLimit: '100.00', isActive: true, canCreateApiKeys: false,
  customerCode: 'C1', customerType: '', industry: '', address: '', paymentTermsDays: null, taxNumber: '', country: '', region: '', rating: null, ratingNotes: '', deletedAt: null,
  version: 1, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
});

function counting(standing: OverdueStanding): { load: () => Promise<OverdueStanding>; calls: () => number } {
  let calls = 0;
  return { load: async () => { calls += 1; return standing; }, calls: () => calls };
}

describe('StandingCache', () => {
  const standing: OverdueStanding = { oldestUnpaidDueDate: '2026-10-01', debtSince: '2026-10-05T00:00:00Z', paymentTermsDays: 14 };

  it('loads once, reuses the copy for the TTL, and loads again after it', async () => {
    let now = 1_000;
    const store = counting(standing);
    const cache = new StandingCache(store.load, 30_000, () => now);
    expect(await cache.get(customer('-5.00'))).toEqual(standing);
    now += 29_999;
    await cache.get(customer('-5.00'));
    expect(store.calls()).toBe(1);
    now += 1;
    await cache.get(customer('-5.00'));
    expect(store.calls()).toBe(2);
  });

  it('loads again after forget (an invoice was paid, or the actor reloads)', async () => {
    const store = counting(standing);
    const cache = new StandingCache(store.load, 30_000, () => 0);
    await cache.get(customer('-5.00'));
    cache.forget();
    await cache.get(customer('-5.00'));
    expect(store.calls()).toBe(2);
  });

  it('ignores a debt\'s start once the balance is not negative any more, without loading again', async () => {
    const store = counting(standing);
    const cache = new StandingCache(store.load, 30_000, () => 0);
    await cache.get(customer('-5.00'));
    expect(await cache.get(customer('0.00'))).toEqual({ ...standing, debtSince: null });
    expect(await cache.get(customer('12.50'))).toEqual({ ...standing, debtSince: null });
    expect(store.calls()).toBe(1);
  });
});
