import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserInfoSchema } from '../gen/rustbill/identity_pb.ts';
import { rfc3339 } from '../lib/time.ts';
import type { AdminUser } from '../persistence/entities/admin-users.ts';
import type { CustomerUser } from '../persistence/entities/customer-users.ts';

/** `UserInfo` of an admin user (role admin/operator, customer_id empty). */
export function adminUserInfo(user: AdminUser): MessageInitShape<typeof UserInfoSchema> {
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

/** `UserInfo` of a customer user (role empty, customer_id set). */
export function customerUserInfo(user: CustomerUser): MessageInitShape<typeof UserInfoSchema> {
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
