/**
 * Instances as provisioning sees them (handbook: instances; plugin guide: get_instance_status and
 * import_upstream_instance): the local status words, how a provider's status word maps onto them,
 * and how an imported upstream instance updates or creates the local instance. Pure.
 */
import { refused, type DomainError } from '../errors.ts';
import { providerStatus, type InstanceStatus } from './instance-lifecycle.ts';

export { INSTANCE_STATUSES, type InstanceStatus } from './instance-lifecycle.ts';

/**
 * A provider's status word as a local instance status (case and surrounding spaces ignored;
 * `pending`, `creating`, `starting` → provisioning, `deleted` → terminated, …), or null when it is
 * none we know. The one mapping is {@link providerStatus} (instance-lifecycle.ts).
 */
export function localStatus(status: string): InstanceStatus | null {
  return providerStatus(status);
}

/** What a provider reports about one of its instances (only the fields an import uses). */
export interface ReportedInstance {
  status: string;
  ipAddress: string;
}

/**
 * The status and IP address of a local instance after the provider reported `reported`: a known
 * status replaces the local one unless the instance is terminated (final); a non-empty address
 * replaces the local one.
 */
export function refreshedInstance(
  local: { status: InstanceStatus; ipAddress: string },
  reported: ReportedInstance,
): { status: InstanceStatus; ipAddress: string } {
  const status = localStatus(reported.status);
  return {
    status: status !== null && local.status !== 'terminated' ? status : local.status,
    ipAddress: reported.ipAddress !== '' ? reported.ipAddress : local.ipAddress,
  };
}

/** The status a new instance starts with when the provider reported `reported` (unknown words: provisioning). */
export function importedStatus(reported: ReportedInstance): InstanceStatus {
  return localStatus(reported.status) ?? 'provisioning';
}

/** The server spec of an order (`ServerSpec` as the order stored it: sizes as numbers, free `extra_specs`). */
export type OrderedSpec = {
  cpu_cores?: number;
  memory_gb?: number;
  disk_gb?: number;
  bandwidth_mbps?: number;
  region?: string;
  os?: string;
  extra_specs?: Record<string, string>;
};

/**
 * An order's server spec as an instance's `server_spec` map: every field as text, `extra_specs`
 * spread in (its keys win).
 */
export function instanceSpec(orderSpec: OrderedSpec): Record<string, string> {
  const { extra_specs: extra, ...fields } = orderSpec;
  const set = Object.entries(fields).filter(([, value]) => value !== undefined && value !== null);
  return { ...Object.fromEntries(set.map(([key, value]) => [key, String(value)])), ...extra };
}

/**
 * The refusal of importing an upstream instance no local order or instance names: an instance
 * needs an owning customer, and only an order says who that is.
 * @param provider how the provider interface is named in messages, e.g. `plugin interface "Upstream" (upstream_provider/rustbill)`
 */
export function unownedImportRefusal(providerInstanceId: string, provider: string): DomainError {
  return refused(`upstream instance "${providerInstanceId}" is not referenced by any order or instance of ${provider}; an imported instance needs an owning customer's order`);
}
