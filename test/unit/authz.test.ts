import { describe, expect, it } from 'vitest';
import { authorize, permissionOf } from '../../src/grpc/authz.ts';
import type { Caller } from '../../src/domain/identity/principal.ts';
import { ALL_SERVICES } from '../../src/grpc/service-list.ts';

const admin: Caller = { kind: 'admin', userId: 'a', username: 'admin', role: 'admin', sessionId: 's' };
const operator: Caller = { kind: 'admin', userId: 'o', username: 'op', role: 'operator', sessionId: 's' };
const customer: Caller = { kind: 'customer', userId: 'c', username: '', customerId: 'x', tokenId: 'f' };
const anonymous: Caller = { kind: 'anonymous' };

function method(service: string, name: string) {
  const found = ALL_SERVICES.find((s) => s.typeName === service)?.methods.find((m) => m.name === name);
  if (!found) throw new Error(`${service}/${name} not found`);
  return found;
}

describe('the authorization table', () => {
  it('declares a permission for every RPC of every service', () => {
    const missing = ALL_SERVICES.flatMap((service) => service.methods.filter((m) => permissionOf(m) === undefined).map((m) => `${service.typeName}/${m.name}`));
    expect(missing).toEqual([]);
  });

  it('enforces public, authenticated, admin and admin-only with the right status', () => {
    expect(() => authorize(method('rustbill.identity.IdentityService', 'Login'), anonymous)).not.toThrow();
    expect(() => authorize(method('rustbill.identity.IdentityService', 'GetMe'), anonymous)).toThrow(/log in/);
    expect(() => authorize(method('rustbill.identity.IdentityService', 'GetMe'), customer)).not.toThrow();
    expect(() => authorize(method('rustbill.identity.IdentityService', 'ListUsers'), customer)).toThrow(/administrators only/);
    expect(() => authorize(method('rustbill.identity.IdentityService', 'ListUsers'), operator)).not.toThrow();
    expect(() => authorize(method('rustbill.identity.IdentityService', 'DeleteUser'), operator)).toThrow(/admin role/);
    expect(() => authorize(method('rustbill.identity.IdentityService', 'DeleteUser'), admin)).not.toThrow();
    expect(() => authorize(method('rustbill.identity.IdentityService', 'GetMe'), anonymous, 'bearer token rejected: expired')).toThrow('bearer token rejected: expired');
  });

  it('lets customers list gateways and providers and create (pay for) upstream instances, not import them', () => {
    expect(() => authorize(method('rustbill.integration.IntegrationService', 'ListGateways'), customer)).not.toThrow();
    expect(() => authorize(method('rustbill.integration.IntegrationService', 'ListProviders'), customer)).not.toThrow();
    expect(() => authorize(method('rustbill.integration.IntegrationService', 'CreateUpstreamInstance'), customer)).not.toThrow();
    expect(() => authorize(method('rustbill.integration.IntegrationService', 'ImportUpstreamInstance'), customer)).toThrow(/administrators only/);
  });
});
