/**
 * The ops feed (`{admin_path}/api/ops.json`, src/grpc/admin-app-route.ts): every worker's
 * prom-client registry as JSON, and the figures the ops page and the dashboard read from it.
 */
export interface MetricValue { labels: Record<string, string | number>; value: number; metricName?: string }
export interface Metric { name: string; type: string; values: MetricValue[] }
export interface WorkerSample { slot: number; pid: number; uptimeSecs: number; shards: number[]; metrics: Metric[] }
export interface OpsFeed { workers: WorkerSample[]; primary: { pid: number; uptimeSecs: number } }

/** Fetches the feed (the admin session cookie goes with it). @throws Error with the server's words */
export async function fetchOps(): Promise<OpsFeed> {
  const base = document.baseURI.endsWith('/') ? document.baseURI : `${document.baseURI}/`;
  const answer = await fetch(new URL('api/ops.json', base), { credentials: 'same-origin', cache: 'no-store' });
  const body = (await answer.json()) as OpsFeed | { error: string };
  if (!answer.ok || 'error' in body) throw new Error('error' in body ? body.error : `HTTP ${answer.status}`);
  return body;
}

/** The values of metric `name` in `sample` (empty when absent). */
export function valuesOf(sample: WorkerSample, name: string): MetricValue[] {
  return sample.metrics.find((metric) => metric.name === name)?.values ?? [];
}

/** The sum of metric `name`'s values whose labels match `where`. */
export function sumOf(sample: WorkerSample, name: string, where: Record<string, string> = {}): number {
  return valuesOf(sample, name)
    .filter((value) => Object.entries(where).every(([key, wanted]) => String(value.labels[key]) === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

/**
 * A histogram's quantile (0..1) from its cumulative buckets (`<name>_bucket` values with `le`),
 * summed over label sets matching `where`; null without observations. Seconds in, seconds out.
 */
export function quantileOf(sample: WorkerSample, name: string, q: number, where: Record<string, string> = {}): number | null {
  const buckets = new Map<number, number>();
  for (const value of valuesOf(sample, name)) {
    if (value.metricName !== `${name}_bucket`) continue;
    if (!Object.entries(where).every(([key, wanted]) => String(value.labels[key]) === wanted)) continue;
    const le = value.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(value.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + value.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return previousLe;
      const within = count - previousCount;
      return within === 0 ? le : previousLe + ((rank - previousCount) / within) * (le - previousLe);
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}
