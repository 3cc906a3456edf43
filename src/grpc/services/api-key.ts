import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ApiKeys, ApiKeySummary } from '../../application/identity/api-keys.ts';
import { apiKeyEnabled } from '../../domain/identity/api-keys.ts';
import { ApiKeyService, type ApiKeyInfoSchema } from '../../gen/rustbill/downstream_pb.ts';
import { rfc3339 } from '../../lib/time.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';

/** `ApiKeyInfo` of a stored key: prefix and metadata, never the secret; times unset are `""`. */
export function apiKeyInfo(key: ApiKeySummary): MessageInitShape<typeof ApiKeyInfoSchema> {
  return {
    id: key.id,
    keyPrefix: key.prefix,
    name: key.name,
    enabled: apiKeyEnabled(key),
    createdAt: rfc3339(key.createdAt),
    lastUsedAt: key.lastUsedAt ? rfc3339(key.lastUsedAt) : '',
    expiresAt: key.expiresAt ? rfc3339(key.expiresAt) : '',
  };
}

/**
 * ApiKeyService, all 3 RPCs (handbook: ApiKeyService): maps protobuf to the API-key application
 * service (src/application/identity/api-keys.ts). Authorization (`admin_or_own`, src/grpc/authz.ts)
 * already refused a customer naming another customer's `customer_id`; the service applies the
 * `can_create_api_keys` rule and scopes everything else.
 */
export function apiKeyHandlers(apiKeys: ApiKeys): ServiceHandlers<typeof ApiKeyService> {
  return {
    async createApiKey(request, call) {
      const created = await apiKeys.create(call, { name: request.name, customerId: optionalUuidField('customer_id', request.customerId) });
      return { apiKey: created.key, keyPrefix: created.prefix, id: created.id };
    },

    async listApiKeys(request, call) {
      const keys = await apiKeys.list(call, optionalUuidField('customer_id', request.customerId));
      return { keys: keys.map(apiKeyInfo) };
    },

    async revokeApiKey(request, call) {
      await apiKeys.revoke(call, uuidField('id', request.id));
      return {};
    },
  };
}
