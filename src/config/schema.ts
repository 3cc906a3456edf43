/**
 * The schema of NodeBill's configuration: every setting, its type, its default and its limits, in
 * one place (sections and keys of RustBill's operations manual, plus NodeBill's own). Loaded by
 * src/config/load.ts; the entry point is cluster.config.ts.
 */
import os from 'node:os';
import { lifecycleSettingsRefusal, type LifecycleSettings } from '../domain/billing/dunning.ts';
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { parseAddressRange } from '../domain/address-ranges.ts';
import { isAllowListEntry } from '../plugins/host/outbound-policy.ts';

/** The number of actor shards; fixed in this version (the shard map is `hash(customer_id) mod 64`). */
export const SHARD_COUNT = 64;

const positiveInt = (what: string) => z.int({ error: `must be a whole number (${what})` }).min(1, { error: `must be at least 1 (${what})` });
const nonNegativeInt = (what: string) => z.int({ error: `must be a whole number (${what})` }).min(0, { error: `must not be negative (${what})` });

const corsOrigin = z.string().refine(
  (value) => {
    if (value === '*') return true;
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  },
  { error: 'must be "*" or an origin such as "https://shop.example.com" (scheme, host and optional port; no path, no trailing slash)' },
);

const publicUrl = z.string().refine(
  (value) => {
    if (value === '') return true;
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  },
  { error: 'must be "" or an http(s) base URL such as "https://bill.example.com" (no query, fragment or credentials)' },
);

const addressOrCidr = z.string().refine((value) => parseAddressRange(value) !== null, {
  error: 'must be an IP address or a CIDR range such as "10.0.0.0/8" or "fd00::/8"',
});

const serverSchema = z
  .strictObject({
    /** Listening address. Keep 127.0.0.1 behind a reverse proxy. */
    host: z.string().min(1, { error: 'must not be empty' }).default('127.0.0.1'),
    /** Port for gRPC, gRPC-Web and the HTTP routes. */
    port: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be between 1 and 65535' }).max(65535, { error: 'must be between 1 and 65535' }).default(50051),
    /** Requests the node handles at once, shared by its workers (⌈max_concurrency ÷ workers⌉ each); more wait in FIFO order. */
    max_concurrency: positiveInt('requests').default(30),
    /** Address that receives system notifications (new orders etc.); empty = none. */
    notify_email: z.string().default(''),
    /** URL path of the admin web app. */
    admin_path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, { error: 'must start with "/", not end with "/", and contain only URL-safe characters, e.g. "/admin"' })
      .default('/admin'),
    /**
     * NodeBill: URL path of the customer portal (issue 13): "/" (the default), a path such as
     * "/shop", or "" to turn the portal off (operators who host their own front-end; gRPC-Web works
     * either way).
     */
    portal_path: z
      .string()
      .regex(/^(?:|\/|\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-])$/, { error: 'must be "" (off), "/", or a path that starts with "/" and does not end with "/", e.g. "/shop"' })
      .default('/'),
    /** Origins allowed to call the API from a browser. [] = same origin only; "*" = any (explicitly). */
    cors_allowed_origins: z.array(corsOrigin).default(() => []),
    /**
     * NodeBill: reverse proxies (IP addresses or CIDR ranges, e.g. "127.0.0.1", "10.0.0.0/8") whose
     * `X-Forwarded-For` is believed. The client address — for rate limits, logs and audit — is the
     * last address in that header not itself a trusted proxy. [] = the header is ignored.
     */
    trusted_proxies: z.array(addressOrCidr).default(() => []),
    /**
     * NodeBill: the base URL at which payment gateways reach this server from outside (behind the
     * reverse proxy), e.g. "https://bill.example.com". When set, create_payment is given
     * `{public_url}/callback/{interface_id}` as its `notify_url` (src/domain/payments/callback-url.ts);
     * "" = each gateway interface's own configured `notify_url` is used, as in RustBill.
     */
    public_url: publicUrl.default(''),
  })
  .superRefine((server, ctx) => {
    const portal = server.portal_path;
    if (portal !== '' && portal !== '/' && (portal === server.admin_path || portal.startsWith(`${server.admin_path}/`) || server.admin_path.startsWith(`${portal}/`))) {
      ctx.addIssue({ code: 'custom', path: ['portal_path'], message: `must not overlap [server] admin_path (${server.admin_path})` });
    }
  })
  .prefault({});

const dbSchema = z
  .strictObject({
    /** PostgreSQL connection string; "" = start the embedded PostgreSQL under data_dir. */
    url: z
      .string()
      .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), {
        error: 'must be a PostgreSQL URL such as "postgres://user:password@host:5432/nodebill", or "" for the embedded database',
      })
      .default(''),
    max_connections: positiveInt('connections').default(20),
    min_connections: nonNegativeInt('connections').default(2),
    idle_timeout_secs: positiveInt('seconds').default(300),
    max_lifetime_secs: positiveInt('seconds').default(1800),
    acquire_timeout_secs: positiveInt('seconds').default(5),
    /** Run `SELECT 1` before handing out a pooled connection. */
    test_before_acquire: z.boolean().default(true),
  })
  .superRefine((db, ctx) => {
    if (db.min_connections > db.max_connections) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_connections'],
        message: `must not exceed [db] max_connections (${db.max_connections})`,
      });
    }
  })
  .prefault({});

const jwtSchema = z
  .strictObject({
    /** HMAC key for customer tokens. Required (≥ 32 characters) unless generated on the embedded path. */
    secret: z.string().default(''),
    expiry_hours: positiveInt('hours').default(24),
    refresh_expiry_days: positiveInt('days').default(30),
  })
  .prefault({});

const sessionSchema = z
  .strictObject({
    cookie_name: z
      .string()
      .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, { error: 'must be a valid cookie name (letters, digits and !#$%&\'*+-.^_`|~)' })
      .default('rustbill_session'),
    idle_timeout_minutes: positiveInt('minutes').default(1440),
    absolute_timeout_hours: positiveInt('hours').default(168),
    /** Set to true in production behind HTTPS. */
    cookie_secure: z.boolean().default(false),
    cookie_same_site: z.enum(['Lax', 'Strict', 'None'], { error: 'must be "Lax", "Strict" or "None"' }).default('Lax'),
  })
  .superRefine((session, ctx) => {
    if (session.cookie_same_site === 'None' && !session.cookie_secure) {
      ctx.addIssue({
        code: 'custom',
        path: ['cookie_same_site'],
        message: 'browsers drop SameSite=None cookies that are not Secure: set [session] cookie_secure = true (and serve over HTTPS), or use "Lax"',
      });
    }
  })
  .prefault({});

const bootstrapSchema = z
  .strictObject({
    /** Username of the first admin, created at startup when no admin exists. */
    admin_username: z.string().min(1, { error: 'must not be empty' }).default('admin'),
    /** Password of that first admin (stored as a bcrypt hash). */
    admin_password: z.string().default(''),
  })
  .prefault({});

const rateLimitSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    login_per_sec: positiveInt('requests per second').default(5),
    register_per_sec: positiveInt('requests per second').default(1),
    /** NodeBill: verification codes one client address may request per hour (one per e-mail address per minute regardless). */
    verification_per_hour: positiveInt('requests per hour').default(10),
    /** NodeBill: ChangePassword calls one signed-in user may make per minute. */
    change_password_per_min: positiveInt('requests per minute').default(5),
    /** NodeBill: consecutive wrong passwords of one account (login or ChangePassword) that cost nothing. */
    login_free_failures: positiveInt('failures').default(5),
    /** NodeBill: how long the account is locked after the next wrong password; doubles with each further one. */
    login_backoff_base_secs: positiveInt('seconds').default(1),
    /** NodeBill: the longest lock of an account after wrong passwords. */
    login_backoff_max_secs: positiveInt('seconds').default(900),
  })
  .prefault({});

const redisSchema = z
  .strictObject({
    /** Without Redis the server runs degraded (see src/bootstrap/redis.ts). */
    enabled: z.boolean().default(false),
    url: z
      .string()
      .regex(/^rediss?:\/\//, { error: 'must be a Redis URL such as "redis://127.0.0.1:6379" (or rediss:// for TLS)' })
      .default('redis://127.0.0.1:6379'),
    max_connections: positiveInt('connections').default(10),
    /** Prefix of every key and queue name, so environments can share one Redis. */
    prefix: z.string().min(1, { error: 'must not be empty' }).default('rustbill'),
  })
  .prefault({});

const pluginsSchema = z
  .strictObject({
    plugins_dir: z.string().min(1, { error: 'must not be empty' }).default('./plugins'),
    /** Time limit of one plugin call. */
    call_timeout_ms: positiveInt('milliseconds').default(5000),
    /** Memory limit of one plugin call. */
    memory_limit_mb: positiveInt('megabytes').default(64),
    /** How often the plugin directory is rescanned. */
    scan_interval_secs: positiveInt('seconds').default(300),
    /** How often enabled plugin interfaces are health-checked. */
    health_check_interval_secs: positiveInt('seconds').default(300),
    /** Consecutive failures of one outbound host that open its circuit breaker. */
    breaker_failure_threshold: positiveInt('failures').default(5),
    /** How long an open breaker waits before letting one probe through. */
    breaker_reset_timeout_ms: positiveInt('milliseconds').default(30_000),
    /** Retries of an outbound request after a transient error (exponential backoff). */
    http_retries: z.number().int().min(0).max(10).default(3),
    /** First backoff delay; doubles on each retry. */
    http_retry_base_ms: positiveInt('milliseconds').default(200),
    /** Time limit of one outbound HTTP request. */
    http_timeout_ms: positiveInt('milliseconds').default(10_000),
    /**
     * Largest response body a plugin's HTTP request accepts; a larger one is cut off as soon as it
     * passes the limit and fails the host call. At most 256 MiB.
     */
    max_response_bytes: positiveInt('bytes')
      .max(256 * 1024 * 1024, { error: 'must be at most 268435456 (256 MiB)' })
      .default(4 * 1024 * 1024),
    /**
     * Destinations plugins may reach although the outbound policy refuses them by default
     * (loopback, private, link-local, unspecified and other special addresses): host names
     * ("incus.lan"), IP addresses ("10.0.0.5") or CIDR ranges ("10.0.0.0/8", "fd00::/8").
     */
    outbound_allow: z
      .array(
        z.string().refine(isAllowListEntry, {
          error: 'must be a host name, an IP address or a CIDR range, e.g. "incus.lan", "10.0.0.5" or "10.0.0.0/8"',
        }),
      )
      .default(() => []),
    /** Largest value one `state_set` may store (UTF-8). */
    state_max_value_bytes: positiveInt('bytes').default(64 * 1024),
    /** Most keys one plugin interface may hold in its state. */
    state_max_keys: positiveInt('keys').default(1000),
  })
  .prefault({});

const jobsSchema = z
  .strictObject({
    /** NodeBill: false = this process relays and consumes no outbox events and runs no periodic jobs (benchmarks). */
    enabled: z.boolean().default(true),
    /** Runs of one event's handler before the event is left `failed` (the dead letter an admin retries). */
    max_attempts: positiveInt('attempts').default(8),
    /** Delay before the second run of a failed event; doubles with each further failure. */
    backoff_base_ms: positiveInt('milliseconds').default(1000),
    /** The longest delay between two runs of a failing event. */
    backoff_max_ms: positiveInt('milliseconds').default(300_000),
    /** Events one process handles at once. */
    concurrency: positiveInt('events').default(8),
    /** How often the outbox table is checked for events to relay (or, without Redis, to run). */
    poll_interval_ms: positiveInt('milliseconds').default(1000),
    /**
     * How long an event may stay relayed to Redis without being taken, or taken without a sign of
     * life from its worker, before it is relayed again (a restarted Redis, a crashed worker).
     */
    queued_timeout_secs: positiveInt('seconds').default(120),
  })
  .superRefine((jobs, ctx) => {
    if (jobs.backoff_base_ms > jobs.backoff_max_ms) {
      ctx.addIssue({ code: 'custom', path: ['backoff_base_ms'], message: `must not exceed [jobs] backoff_max_ms (${jobs.backoff_max_ms})` });
    }
  })
  .prefault({});

const clusterSchema = z
  .strictObject({
    /** Worker processes; defaults to the number of CPUs available. */
    workers: positiveInt('processes').default(() => os.availableParallelism()),
    shards: z
      .literal(SHARD_COUNT, { error: `is fixed at ${SHARD_COUNT} in this version; remove the key or set it to ${SHARD_COUNT}` })
      .default(SHARD_COUNT),
    /** How long a stopping worker may finish in-flight work before it is killed. */
    shutdown_grace_ms: nonNegativeInt('milliseconds').default(10_000),
    /**
     * Several nodes on one database (issue 15). `host:port` at which the other nodes reach this
     * node's gRPC port to forward requests; '' = `[server] host` (127.0.0.1 when it listens on
     * every address) and `[server] port`.
     */
    node_address: z.string().regex(/^$|^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/, { error: 'must be host:port (or empty for [server] host and port)' }).default(''),
    /** The secret every node of the cluster shares to forward requests to each other ('' = a single node). */
    secret: z.string().default(''),
    /** A node whose leases were not renewed for this long loses its shards to the others (ms). */
    lease_timeout_ms: z.int({ error: 'must be a whole number (milliseconds)' }).min(1_000, { error: 'must be at least 1000 (milliseconds)' }).default(10_000),
    /** How often a node beats and renews its shard leases (ms); at most a third of lease_timeout_ms. */
    heartbeat_interval_ms: z.int({ error: 'must be a whole number (milliseconds)' }).min(100, { error: 'must be at least 100 (milliseconds)' }).default(1_000),
  })
  .superRefine((cluster, ctx) => {
    if (cluster.heartbeat_interval_ms * 3 > cluster.lease_timeout_ms) {
      ctx.addIssue({ code: 'custom', path: ['heartbeat_interval_ms'], message: `must be at most a third of [cluster] lease_timeout_ms (${cluster.lease_timeout_ms}), so that a beat can be missed without losing the shards` });
    }
  })
  .prefault({});

const ordersSchema = z
  .strictObject({
    /** A pending order not paid within this many seconds is cancelled (HA guide §4.4: 24 h). */
    unpaid_timeout_secs: positiveInt('seconds').default(86_400),
    /** How often the unpaid-order timeout runs (once across all workers and nodes). */
    unpaid_check_interval_secs: positiveInt('seconds').default(60),
    /** How often instance statuses are refreshed from their providers (once across all workers and nodes). */
    instance_refresh_interval_secs: positiveInt('seconds').default(300),
  })
  .prefault({});

/** NodeBill's `[billing]`: invoices' due dates and the billing schedules (src/application/billing/billing-jobs.ts). */
const billingSchema = z
  .strictObject({
    /** Days after the day of issue a generated invoice is due (its due_date). */
    due_days: nonNegativeInt('days').default(14),
    /**
     * How often the monthly billing run is attempted (once across all workers and nodes): each
     * attempt bills the previous calendar month (UTC) for the customers not billed for it yet.
     */
    run_check_interval_secs: positiveInt('seconds').default(3600),
    /** How often issued invoices past their due date are marked overdue. */
    overdue_check_interval_secs: positiveInt('seconds').default(3600),
    /**
     * Recurring billing (issue 11; README "Recurring billing"): how often the service lifecycle
     * runs (renewal invoices, automatic payment, period roll-over, reminders, suspension,
     * termination), once across all workers and nodes.
     */
    lifecycle_interval_secs: positiveInt('seconds').default(3600),
    /** Days before a service's period ends its renewal invoice is issued (it is due when the period ends). */
    renewal_invoice_days_before: nonNegativeInt('days').default(7),
    /** Days before the due date an unpaid renewal invoice is reminded of. */
    reminder_days_before: z.array(nonNegativeInt('days')).max(10, { error: 'at most 10 reminder days' }).default([3]),
    /** Days after the due date an unpaid renewal invoice is reminded of. */
    reminder_days_after: z.array(positiveInt('days')).max(10, { error: 'at most 10 reminder days' }).default([1, 5]),
    /** Days past the due date an unpaid service is suspended (its instance suspended, or stopped). */
    suspend_after_days: nonNegativeInt('days').default(3),
    /** Days past the due date an unpaid service is terminated (its instance terminated, the order completed). */
    terminate_after_days: positiveInt('days').default(14),
    /** Whether catalog prices include tax (tax is then taken out of them) or tax is added on top. */
    prices_include_tax: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .superRefine((billing, context) => {
    const refusal = lifecycleSettingsRefusal(lifecycleSettingsOf(billing));
    if (refusal !== null) context.addIssue({ code: 'custom', path: ['terminate_after_days'], message: refusal });
  })
  .prefault({});

/** The lifecycle settings of a `[billing]` table (src/domain/billing/dunning.ts). */
export function lifecycleSettingsOf(billing: {
  renewal_invoice_days_before: number; reminder_days_before: number[]; reminder_days_after: number[]; suspend_after_days: number; terminate_after_days: number;
}): LifecycleSettings {
  return {
    renewalInvoiceDaysBefore: billing.renewal_invoice_days_before, reminderDaysBefore: billing.reminder_days_before, reminderDaysAfter: billing.reminder_days_after,
    suspendAfterDays: billing.suspend_after_days, terminateAfterDays: billing.terminate_after_days,
  };
}

/** A money threshold: a decimal string >= 0 with at most two decimals. */
const moneyThreshold = z.string().regex(/^(?:0|[1-9]\d{0,9})(?:\.\d{1,2})?$/, { error: 'must be an amount such as "5000.00" (>= 0, at most 2 decimals)' });

/**
 * NodeBill's `[crm]`: the CRM extension's scoring schedule, RFM thresholds, credit-risk and VIP
 * settings and import limits (README "Customer relationship management";
 * src/application/crm/). The RFM thresholds are inclusive; each "high" must be at least as strict
 * as its "medium" (checked at load).
 */
const crmSchema = z
  .strictObject({
    /** How often every customer's computed rating, risk level and RFM segment are recomputed (once across all workers and nodes). */
    scores_interval_secs: positiveInt('seconds').default(600),
    /** Recency: at most this many days since the last paid order is high. */
    rfm_recency_high_max_days: nonNegativeInt('days').default(30),
    /** Recency: at most this many days is medium; more is low. */
    rfm_recency_medium_max_days: nonNegativeInt('days').default(90),
    /** Frequency: at least this many paid orders is high. */
    rfm_frequency_high_min_orders: positiveInt('orders').default(10),
    /** Frequency: at least this many paid orders is medium; fewer is low. */
    rfm_frequency_medium_min_orders: positiveInt('orders').default(3),
    /** Monetary: a paid total of at least this is high. */
    rfm_monetary_high_min: moneyThreshold.default('5000.00'),
    /** Monetary: at least this is medium; less is low. */
    rfm_monetary_medium_min: moneyThreshold.default('1000.00'),
    /** Late payments from which the history counts as frequent (credit risk orange). */
    frequent_late_payments: positiveInt('payments').default(3),
    /** Months of future revenue the customer lifetime value adds (at the customer's monthly average so far). */
    clv_horizon_months: nonNegativeInt('months').default(12),
    /** ListVipCustomers: how many customers when the request names no limit. */
    vip_default_limit: positiveInt('customers').default(10),
    /** Largest import file (bytes): .xlsx upload, JSON body. */
    import_max_bytes: positiveInt('bytes').default(10 * 1024 * 1024),
    /** Most rows one import may hold. */
    import_max_rows: positiveInt('rows').default(50_000),
    /** Rows an import applies at once (each row is its own transaction through its customer's actor). */
    import_concurrency: positiveInt('rows').default(32),
  })
  .superRefine((crm, context) => {
    const rules: Array<[boolean, string, string]> = [
      [crm.rfm_recency_medium_max_days >= crm.rfm_recency_high_max_days, 'rfm_recency_medium_max_days', `must be at least [crm] rfm_recency_high_max_days (${crm.rfm_recency_high_max_days})`],
      [crm.rfm_frequency_high_min_orders >= crm.rfm_frequency_medium_min_orders, 'rfm_frequency_high_min_orders', `must be at least [crm] rfm_frequency_medium_min_orders (${crm.rfm_frequency_medium_min_orders})`],
      [new Decimal(crm.rfm_monetary_high_min).greaterThanOrEqualTo(crm.rfm_monetary_medium_min), 'rfm_monetary_high_min', `must be at least [crm] rfm_monetary_medium_min (${crm.rfm_monetary_medium_min})`],
    ];
    for (const [ok, key, message] of rules) if (!ok) context.addIssue({ code: 'custom', path: [key], message });
  })
  .prefault({});

const logSchema = z
  .strictObject({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], { error: 'must be one of trace, debug, info, warn, error, fatal' })
      .default('info'),
    /** "json": one JSON object per line; "pretty": one readable text line per entry. */
    format: z.enum(['pretty', 'json'], { error: 'must be "pretty" or "json"' }).default('pretty'),
  })
  .prefault({});

/**
 * `[telemetry]` (HA guide §9.3): traces exported through the OpenTelemetry SDK to an OTLP
 * collector (Jaeger, Grafana Tempo). `otlp_endpoint` is the collector's OTLP/gRPC address as in
 * RustBill's example (`http://localhost:4317`); an address ending in `/v1/traces` is OTLP/HTTP.
 */
const telemetrySchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    otlp_endpoint: z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'http:' || url.protocol === 'https:';
        } catch {
          return false;
        }
      }, { error: 'must be an http(s) URL such as "http://localhost:4317" (OTLP/gRPC) or "http://localhost:4318/v1/traces" (OTLP/HTTP)' })
      .default('http://localhost:4317'),
    service_name: z.string().min(1, { error: 'must not be empty' }).default('nodebill'),
  })
  .prefault({});

/** The schema of the whole configuration (the parsed result has every default filled in). */
export const AppConfigSchema = z.strictObject({
  server: serverSchema,
  db: dbSchema,
  jwt: jwtSchema,
  session: sessionSchema,
  bootstrap: bootstrapSchema,
  rate_limit: rateLimitSchema,
  redis: redisSchema,
  plugins: pluginsSchema,
  cluster: clusterSchema,
  orders: ordersSchema,
  billing: billingSchema,
  crm: crmSchema,
  jobs: jobsSchema,
  log: logSchema,
  telemetry: telemetrySchema,
  /** Where NodeBill keeps local state: the embedded database (`pg/`) and generated secrets. */
  data_dir: z.string().min(1, { error: 'must not be empty' }).default('./.data'),
});

/** The validated configuration; paths (`data_dir`, `plugins.plugins_dir`) are absolute. */
export type AppConfig = z.output<typeof AppConfigSchema>;
