/**
 * The server spec a provider is asked to price or create (ServerSpec, QueryPriceRequest): what a
 * request must hold before any provider script runs. Pure.
 */
import { invalid } from '../errors.ts';

/** A server spec as the provider functions receive it (sizes in whole units). */
export interface ServerSpecInput {
  cpuCores: number;
  memoryGb: number;
  diskGb: number;
  bandwidthMbps: number;
  region: string;
  os: string;
  extraSpecs: Record<string, string>;
}

/**
 * A checked spec: at least one CPU core and 1 GB of memory, a region and an OS (trimmed).
 * @param prefix put before field names in messages (`server_spec.` for CreateUpstreamInstance)
 * @throws DomainError invalid_argument naming the field
 */
export function checkServerSpec(prefix: string, spec: ServerSpecInput): ServerSpecInput {
  if (spec.cpuCores === 0) throw invalid(`${prefix}cpu_cores must be at least 1`);
  if (spec.memoryGb === 0) throw invalid(`${prefix}memory_gb must be at least 1`);
  if (spec.region.trim() === '') throw invalid(`${prefix}region is required`);
  if (spec.os.trim() === '') throw invalid(`${prefix}os is required`);
  return { ...spec, region: spec.region.trim(), os: spec.os.trim(), extraSpecs: { ...spec.extraSpecs } };
}

/**
 * A provider's own instance id (`instance_id` of GetInstanceStatus / ImportUpstreamInstance), trimmed.
 * @throws DomainError invalid_argument when empty, longer than 255 characters or containing control characters
 */
export function checkProviderInstanceId(value: string): string {
  const id = value.trim();
  if (id === '') throw invalid('instance_id is required (the upstream instance id)');
  if (id.length > 255) throw invalid(`instance_id must be at most 255 characters, got ${id.length}`);
  if (/\p{Cc}/u.test(id)) throw invalid('instance_id must not contain control characters');
  return id;
}
