import { describe, expect, it } from 'vitest';
import { adminChangeRefusal, adminDeletionRefusal, removesActiveAdmin } from '../../src/domain/identity/user-policy.ts';

const admin = { userId: 'a1', role: 'admin' as const };
const operator = { userId: 'o1', role: 'operator' as const };
const otherAdmin = { id: 'a2', role: 'admin' as const, isActive: true };
const otherOperator = { id: 'o2', role: 'operator' as const, isActive: true };
const self = { id: 'a1', role: 'admin' as const, isActive: true };

describe('adminChangeRefusal', () => {
  it('lets an admin change anything of another user while other admins remain', () => {
    expect(adminChangeRefusal(admin, otherAdmin, { role: 'operator' }, 2)).toBeNull();
    expect(adminChangeRefusal(admin, otherOperator, { role: 'admin', isActive: false }, 1)).toBeNull();
    expect(adminChangeRefusal(admin, self, { profile: true }, 1)).toBeNull();
  });

  it('keeps operators away from admins and from roles', () => {
    expect(adminChangeRefusal(operator, otherAdmin, { profile: true }, 2)?.kind).toBe('permission_denied');
    expect(adminChangeRefusal(operator, otherOperator, { role: 'admin' }, 2)?.message).toMatch(/only users with the admin role may change roles/);
    expect(adminChangeRefusal(operator, otherOperator, { role: 'operator', isActive: false }, 2)).toBeNull();
  });

  it('refuses disabling or demoting oneself', () => {
    expect(adminChangeRefusal(admin, self, { isActive: false }, 5)?.message).toMatch(/your own account/);
    expect(adminChangeRefusal(admin, self, { role: 'operator' }, 5)?.kind).toBe('failed_precondition');
  });

  it('refuses taking away the last active admin', () => {
    expect(adminChangeRefusal(admin, otherAdmin, { isActive: false }, 1)?.message).toMatch(/last active admin/);
    expect(adminChangeRefusal(admin, otherAdmin, { isActive: false }, 2)).toBeNull();
  });
});

describe('removesActiveAdmin', () => {
  it('is true only for demoting or disabling an active admin', () => {
    expect(removesActiveAdmin(otherAdmin, { role: 'operator' })).toBe(true);
    expect(removesActiveAdmin(otherAdmin, { isActive: false })).toBe(true);
    expect(removesActiveAdmin(otherAdmin, { role: 'admin' })).toBe(false);
    expect(removesActiveAdmin({ ...otherAdmin, isActive: false }, { isActive: false })).toBe(false);
    expect(removesActiveAdmin(otherOperator, { isActive: false })).toBe(false);
  });
});

describe('adminDeletionRefusal', () => {
  it('refuses deleting oneself and the last active admin', () => {
    expect(adminDeletionRefusal('a1', self, 3)?.message).toMatch(/your own account/);
    expect(adminDeletionRefusal('a1', otherAdmin, 1)?.message).toMatch(/last active admin/);
    expect(adminDeletionRefusal('a1', otherAdmin, 2)).toBeNull();
    expect(adminDeletionRefusal(null, otherOperator, 1)).toBeNull();
  });
});
