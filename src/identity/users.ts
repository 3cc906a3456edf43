import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserInfoSchema } from '../gen/rustbill/identity_pb.ts';
import { rfc3339 } from '../lib/time.ts';
import type { AdminProfile, CustomerProfile } from './principal-cache.ts';

/** `UserInfo` of an admin user (role admin/operator, customer_id empty); takes a row or a cached profile. */
export function adminUserInfo(user: AdminProfile): MessageInitShape<typeof UserInfoSchema> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    isActive: user.isActive,
    createdAt: rfc3339(user.createdAt),
    userType: 'admin',
    customerId: '',
  };
}

/** `UserInfo` of a customer user (role empty, customer_id set); takes a row or a cached profile. */
export function customerUserInfo(user: CustomerProfile): MessageInitShape<typeof UserInfoSchema> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    displayName: user.displayName,
    role: '',
    isActive: user.isActive,
    createdAt: rfc3339(user.createdAt),
    userType: 'customer',
    customerId: user.customerId,
  };
}
