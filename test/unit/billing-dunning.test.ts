import { describe, expect, it } from 'vitest';
import {
  dunningState, latestReminder, lifecycleSettingsRefusal, renewalDueDate, renewalIssueDate, type LifecycleSettings,
} from '../../src/domain/billing/dunning.ts';

const settings: LifecycleSettings = {
  renewalInvoiceDaysBefore: 7,
  reminderDaysBefore: [3, 1],
  reminderDaysAfter: [1, 3, 7],
  suspendAfterDays: 5,
  terminateAfterDays: 14,
};

describe('lifecycleSettingsRefusal', () => {
  it('accepts sensible settings, including the limits', () => {
    expect(lifecycleSettingsRefusal(settings)).toBeNull();
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysAfter: [13], reminderDaysBefore: [7] })).toBeNull();
    expect(lifecycleSettingsRefusal({ ...settings, suspendAfterDays: 13 })).toBeNull();
    expect(
      lifecycleSettingsRefusal({ renewalInvoiceDaysBefore: 0, reminderDaysBefore: [0], reminderDaysAfter: [0], suspendAfterDays: 0, terminateAfterDays: 1 }),
    ).toBeNull();
  });

  it('refuses termination on or before suspension', () => {
    expect(lifecycleSettingsRefusal({ ...settings, terminateAfterDays: 5 })).toBe(
      'terminate_after_days (5) must be greater than suspend_after_days (5): a service is suspended before it is terminated',
    );
    expect(lifecycleSettingsRefusal({ ...settings, terminateAfterDays: 3, reminderDaysAfter: [1] })).toMatch(/^terminate_after_days \(3\) must be greater than suspend_after_days \(5\)/);
  });

  it('refuses a reminder on or after the termination day', () => {
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysAfter: [1, 14] })).toBe(
      'reminder_days_after has day 14, but the service is terminated on day 14 (terminate_after_days): every reminder must come before that',
    );
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysAfter: [30] })).toMatch(/^reminder_days_after has day 30/);
  });

  it('refuses a reminder before the renewal invoice exists', () => {
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysBefore: [8, 1] })).toBe(
      'reminder_days_before has day 8, but the renewal invoice is issued only 7 days before (renewal_invoice_days_before): a reminder cannot come before the invoice exists',
    );
  });

  it('refuses values that are not whole numbers of days ≥ 0', () => {
    expect(lifecycleSettingsRefusal({ ...settings, suspendAfterDays: -1 })).toBe('suspend_after_days must be a whole number of days ≥ 0 (got -1)');
    expect(lifecycleSettingsRefusal({ ...settings, renewalInvoiceDaysBefore: 1.5 })).toBe('renewal_invoice_days_before must be a whole number of days ≥ 0 (got 1.5)');
    expect(lifecycleSettingsRefusal({ ...settings, terminateAfterDays: Number.NaN })).toBe('terminate_after_days must be a whole number of days ≥ 0 (got NaN)');
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysAfter: [1, 2.5] })).toBe('reminder_days_after[1] must be a whole number of days ≥ 0 (got 2.5)');
    expect(lifecycleSettingsRefusal({ ...settings, reminderDaysBefore: [-3] })).toBe('reminder_days_before[0] must be a whole number of days ≥ 0 (got -3)');
  });
});

describe('renewalIssueDate and renewalDueDate', () => {
  it('issues the renewal invoice the set days before the period ends', () => {
    expect(renewalIssueDate('2026-03-01T10:00:00Z', settings)).toBe('2026-02-22');
    expect(renewalIssueDate('2028-03-01T00:00:00Z', settings)).toBe('2028-02-23');
    expect(renewalIssueDate('2027-01-03T23:59:59Z', settings)).toBe('2026-12-27');
    expect(renewalIssueDate('2026-03-01T10:00:00Z', { ...settings, renewalInvoiceDaysBefore: 0 })).toBe('2026-03-01');
  });

  it('is due on the UTC date the paid period ends', () => {
    expect(renewalDueDate('2026-03-01T10:00:00Z')).toBe('2026-03-01');
    expect(renewalDueDate('2026-03-31T23:59:59Z')).toBe('2026-03-31');
  });

  it('takes UTC dates of instants with an offset', () => {
    expect(renewalDueDate('2026-03-01T01:00:00+02:00')).toBe('2026-02-28');
    expect(renewalIssueDate('2026-03-01T01:00:00+02:00', settings)).toBe('2026-02-21');
  });

  it('throws on a bad instant', () => {
    expect(() => renewalDueDate('2026-03-01')).toThrow(/not an RFC3339 timestamp/);
    expect(() => renewalIssueDate('2026-02-30T00:00:00Z', settings)).toThrow(/not an RFC3339 timestamp/);
  });
});

describe('dunningState', () => {
  const due = '2026-03-10';

  it('lists the reminders whose day has come, ascending', () => {
    const reminders = (today: string): number[] => dunningState(due, today, settings).remindersDue;
    expect(reminders('2026-03-01')).toEqual([]);
    expect(reminders('2026-03-06')).toEqual([]);
    expect(reminders('2026-03-07')).toEqual([-3]);
    expect(reminders('2026-03-08')).toEqual([-3]);
    expect(reminders('2026-03-09')).toEqual([-3, -1]);
    expect(reminders('2026-03-10')).toEqual([-3, -1]);
    expect(reminders('2026-03-11')).toEqual([-3, -1, 1]);
    expect(reminders('2026-03-13')).toEqual([-3, -1, 1, 3]);
    expect(reminders('2026-03-16')).toEqual([-3, -1, 1, 3]);
    expect(reminders('2026-03-17')).toEqual([-3, -1, 1, 3, 7]);
    expect(reminders('2026-05-01')).toEqual([-3, -1, 1, 3, 7]);
  });

  it('suspends and terminates from their days on', () => {
    expect(dunningState(due, '2026-03-14', settings)).toEqual({ remindersDue: [-3, -1, 1, 3], suspend: false, terminate: false });
    expect(dunningState(due, '2026-03-15', settings)).toEqual({ remindersDue: [-3, -1, 1, 3], suspend: true, terminate: false });
    expect(dunningState(due, '2026-03-23', settings)).toEqual({ remindersDue: [-3, -1, 1, 3, 7], suspend: true, terminate: false });
    expect(dunningState(due, '2026-03-24', settings)).toEqual({ remindersDue: [-3, -1, 1, 3, 7], suspend: true, terminate: true });
    expect(dunningState(due, '2026-03-10', settings)).toEqual({ remindersDue: [-3, -1], suspend: false, terminate: false });
  });

  it('suspends on the due date itself when suspendAfterDays is 0', () => {
    const immediate = { ...settings, suspendAfterDays: 0 };
    expect(dunningState(due, '2026-03-09', immediate).suspend).toBe(false);
    expect(dunningState(due, '2026-03-10', immediate).suspend).toBe(true);
  });

  it('counts 0 once as "on the due date", from either list, and drops duplicates', () => {
    const zero = { ...settings, reminderDaysBefore: [0, 3, 3], reminderDaysAfter: [2, 0, 2] };
    const state = dunningState(due, '2026-03-10', zero);
    expect(state.remindersDue).toEqual([-3, 0]);
    expect(Object.is(state.remindersDue[1], 0)).toBe(true);
    expect(dunningState(due, '2026-03-09', zero).remindersDue).toEqual([-3]);
    expect(dunningState(due, '2026-03-12', zero).remindersDue).toEqual([-3, 0, 2]);
    expect(dunningState(due, '2026-03-10', { ...settings, reminderDaysBefore: [0], reminderDaysAfter: [] }).remindersDue).toEqual([0]);
  });

  it('counts calendar days across month and leap-day boundaries', () => {
    const after = { ...settings, reminderDaysBefore: [2], reminderDaysAfter: [1, 2] };
    expect(dunningState('2026-02-27', '2026-03-01', after).remindersDue).toEqual([-2, 1, 2]);
    expect(dunningState('2028-02-27', '2028-02-29', after).remindersDue).toEqual([-2, 1, 2]);
    expect(dunningState('2028-02-27', '2028-02-28', after).remindersDue).toEqual([-2, 1]);
    expect(dunningState('2026-03-01', '2026-02-27', after).remindersDue).toEqual([-2]);
    expect(dunningState('2026-03-01', '2026-02-26', after).remindersDue).toEqual([]);
  });

  it('throws on a bad date', () => {
    expect(() => dunningState('2026-02-30', '2026-03-01', settings)).toThrow(/not a date YYYY-MM-DD/);
    expect(() => dunningState('2026-03-01', '2026-03-01T00:00:00Z', settings)).toThrow(/not a date YYYY-MM-DD/);
  });
});

describe('latestReminder', () => {
  it('gives the largest due offset, or null', () => {
    expect(latestReminder({ remindersDue: [], suspend: false, terminate: false })).toBeNull();
    expect(latestReminder({ remindersDue: [-3], suspend: false, terminate: false })).toBe(-3);
    expect(latestReminder({ remindersDue: [-3, -1, 1], suspend: false, terminate: false })).toBe(1);
    expect(latestReminder({ remindersDue: [-3, 0], suspend: false, terminate: false })).toBe(0);
    expect(latestReminder(dunningState('2026-03-10', '2026-03-20', settings))).toBe(7);
  });
});
