/**
 * Who is acting: the roles of admin users and the authenticated principal of a call, resolved once
 * per call by authentication (ARCHITECTURE.md, request path 2). Pure types, shared by the domain
 * rules, the application services and the transports.
 */

/** Roles of an admin user: `admin` may do everything, `operator` everything but the admin-only RPCs. */
export const ADMIN_ROLES = ['admin', 'operator'] as const;
/** One of {@link ADMIN_ROLES}. */
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** True when `value` names an admin role. */
export function isAdminRole(value: string): value is AdminRole {
  return (ADMIN_ROLES as readonly string[]).includes(value);
}

/** The authenticated principal of a call. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'admin'; userId: string; username: string; role: AdminRole; sessionId: string }
  | { kind: 'customer'; userId: string; username: string; customerId: string; tokenId: string }
  | { kind: 'apikey'; keyId: string; customerId: string };
