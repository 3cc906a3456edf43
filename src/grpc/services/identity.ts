import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Accounts, Me } from '../../application/identity/accounts.ts';
import type { Registration } from '../../application/identity/registration.ts';
import type { FoundUser, UserAdministration } from '../../application/identity/user-administration.ts';
import { invalid } from '../../domain/errors.ts';
import { ADMIN_ROLES } from '../../domain/identity/principal.ts';
import { parsePurpose, parseUserType, type UserType } from '../../domain/identity/validation.ts';
import { IdentityService, type UserInfoSchema } from '../../gen/rustbill/identity_pb.ts';
import { adminUserInfo, customerUserInfo } from '../../identity/users.ts';
import { oneOf, optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { CODE_RESEND_SECS } from '../../application/identity/registration.ts';

/** What IdentityService calls. */
export interface IdentityHandlerDeps {
  accounts: Accounts;
  registration: Registration;
  users: UserAdministration;
  /** `[server] admin_path`, told to admins at login. */
  adminPath: string;
}

/** `user_type` of a request: empty means `fallback`. @throws DomainError invalid_argument */
function userTypeOf(value: string | undefined, fallback: UserType): UserType {
  const type = parseUserType(value, fallback);
  if (!type) throw invalid('user_type must be "admin" or "customer"');
  return type;
}

function userInfo(found: FoundUser): MessageInitShape<typeof UserInfoSchema> {
  return found.type === 'admin' ? adminUserInfo(found.user) : customerUserInfo(found.user);
}

function meInfo(me: Me): MessageInitShape<typeof UserInfoSchema> {
  if (me.kind === 'admin') return adminUserInfo(me.user);
  if (me.kind === 'customer') return customerUserInfo(me.user);
  return { id: me.keyId, username: '', email: '', displayName: 'API key', role: '', isActive: true, createdAt: '', userType: 'api_key', customerId: me.customerId };
}

/**
 * IdentityService, all 12 RPCs (rustbill-docs.md, IdentityService): registration with e-mailed
 * codes, login (admin session cookie + bearer token; customer JWT pair), refresh-token rotation,
 * user administration, password changes, GetMe and Logout. Maps protobuf to the application
 * services of src/application/identity and back; the rules live there and in src/domain/identity.
 */
export function identityHandlers(deps: IdentityHandlerDeps): ServiceHandlers<typeof IdentityService> {
  const { accounts, registration, users } = deps;
  return {
    async register(request, call) {
      const registered = await registration.register(request, call.clientAddress);
      const user = await users.get(registered.userId, 'customer');
      return { user: userInfo(user), customerId: registered.customerId };
    },

    async sendVerificationCode(request, call) {
      const purpose = parsePurpose(request.purpose);
      if (!purpose) throw invalid('purpose must be "registration" or "password_reset"');
      const { email } = await registration.sendCode(request.email, purpose, call.clientAddress);
      return { sent: true, message: `a verification code was sent to ${email}; it is valid for 10 minutes`, retryAfterSecs: CODE_RESEND_SECS };
    },

    async login(request, call) {
      const userType = userTypeOf(request.userType, 'customer');
      const result = await accounts.login({ username: request.username, password: request.password, userType }, { address: call.clientAddress, userAgent: call.userAgent });
      if (result.userType === 'admin') {
        call.responseHeaders.append('set-cookie', result.cookie);
        return { accessToken: result.bearer, refreshToken: '', expiresIn: BigInt(result.expiresIn), user: adminUserInfo(result.user), adminPath: deps.adminPath };
      }
      const { tokens } = result;
      return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresIn: BigInt(tokens.expiresIn), user: customerUserInfo(result.user), adminPath: '' };
    },

    async refreshToken(request) {
      const pair = await accounts.refresh(request.refreshToken);
      return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresIn: BigInt(pair.expiresIn) };
    },

    async listUsers(request) {
      const page = resolvePage(request.pagination);
      const userType = userTypeOf(request.userType, 'admin');
      const role = oneOf('role', request.role, ADMIN_ROLES);
      const customerId = optionalUuidField('customer_id', request.customerId);
      const search = request.search?.trim();
      const { users: found, total } = await users.list(
        { userType, ...(role ? { role } : {}), ...(customerId ? { customerId } : {}), ...(request.isActive !== undefined ? { isActive: request.isActive } : {}), ...(search ? { search } : {}) },
        page,
      );
      return { users: found.map(userInfo), meta: pageMeta(page, total) };
    },

    async getUser(request) {
      const id = uuidField('id', request.id);
      const hint = request.userType ? userTypeOf(request.userType, 'admin') : null;
      return { user: userInfo(await users.get(id, hint)) };
    },

    async updateUser(request, call) {
      const id = uuidField('id', request.id);
      const hint = request.userType ? userTypeOf(request.userType, 'admin') : null;
      const customerId = request.customerId === undefined || request.customerId === '' ? request.customerId : uuidField('customer_id', request.customerId);
      const updated = await users.update(call, id, hint, {
        ...(request.email !== undefined ? { email: request.email } : {}),
        ...(request.displayName !== undefined ? { displayName: request.displayName } : {}),
        ...(request.isActive !== undefined ? { isActive: request.isActive } : {}),
        ...(request.role !== undefined ? { role: request.role } : {}),
        ...(customerId !== undefined ? { customerId } : {}),
      });
      return { user: userInfo(await users.get(updated.user.id, updated.type)) };
    },

    async deleteUser(request, call) {
      await users.remove(call, uuidField('id', request.id));
      return {};
    },

    async changePassword(request, call) {
      await accounts.changePassword(call.caller, request.oldPassword, request.newPassword);
      return {};
    },

    // NodeBill extension (issue 12): the admin console's Users screen creates admins and operators.
    async createAdminUser(request, call) {
      const created = await users.createAdmin(call, {
        username: request.username, email: request.email, displayName: request.displayName, role: request.role, password: request.password,
      });
      return { user: userInfo(created) };
    },

    async adminResetPassword(request, call) {
      await users.resetPassword(call, uuidField('user_id', request.userId), request.newPassword);
      return {};
    },

    async getMe(_request, call) {
      return { user: meInfo(await accounts.me(call.caller)) };
    },

    async logout(_request, call) {
      const { clearCookie } = await accounts.logout(call.caller);
      if (clearCookie) call.responseHeaders.append('set-cookie', clearCookie);
      return {};
    },
  };
}
