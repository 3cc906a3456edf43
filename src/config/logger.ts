/**
 * The process logger (pino), in one of two formats:
 * - `json`: one JSON object per line — `{"level":"info","time":"2026-…Z","pid":1,…,"msg":"…"}`;
 * - `pretty`: one readable text line per entry, rendered here without extra dependencies —
 *   `2026-11-22T03:14:56.197Z INFO  listening worker=2 port=50051 host=127.0.0.1`;
 *   an error's stack follows on indented lines.
 */
import pino from 'pino';
import type { AppConfig } from './schema.ts';

const LEVEL_COLORS: Readonly<Record<string, string>> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};
const RESET = '\x1b[0m';

/** Fields the pretty format shows in fixed places (or not at all) rather than as key=value. */
const FIXED_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

/**
 * Creates a logger.
 *
 * @param config `[log]` of the configuration: level and format
 * @param bindings fields added to every entry (e.g. `{ worker: 3 }`)
 * @param destination where lines go (default: standard output); tests pass a collecting stream
 * @param extra.mixin fields computed for each entry when it is written (the worker's trace ids)
 * @returns a pino logger writing one line per entry
 */
export function createLogger(
  config: AppConfig['log'],
  bindings: Record<string, unknown> = {},
  destination?: pino.DestinationStream,
  extra: { mixin?: () => Record<string, unknown> } = {},
): pino.Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(extra.mixin ? { mixin: extra.mixin } : {}),
  };
  if (config.format === 'json') {
    const logger = destination === undefined ? pino(options) : pino(options, destination);
    return Object.keys(bindings).length > 0 ? logger.child(bindings) : logger;
  }
  const out = destination ?? process.stdout;
  const color = destination === undefined && process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
  const logger = pino(options, { write: (line: string) => out.write(renderPretty(line, color)) });
  return Object.keys(bindings).length > 0 ? logger.child(bindings) : logger;
}

/**
 * Renders one pino JSON line as text: `time LEVEL [bindings] message key=value …`.
 * Lines that are not JSON objects pass through unchanged.
 */
export function renderPretty(line: string, color = false): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return line;
  const fields = new Map(Object.entries(entry));
  const level = String(fields.get('level') ?? 'info');
  const label = level.toUpperCase().padEnd(5);
  const coloured = color ? `${LEVEL_COLORS[level] ?? ''}${label}${RESET}` : label;
  const parts = [String(fields.get('time') ?? ''), coloured];

  const extras: string[] = [];
  for (const [key, value] of fields) {
    if (FIXED_FIELDS.has(key) || value === undefined) continue;
    extras.push(`${key}=${formatValue(value)}`);
  }
  const msg = fields.get('msg');
  if (msg !== undefined) parts.push(String(msg));

  let stack = '';
  const err = fields.get('err');
  if (typeof err === 'object' && err !== null) {
    const errFields = new Map(Object.entries(err));
    const message = errFields.get('message');
    if (message !== undefined) extras.push(`err=${formatValue(message)}`);
    const errStack = errFields.get('stack');
    if (typeof errStack === 'string') {
      stack = errStack
        .split('\n')
        .slice(1)
        .map((l) => `    ${l.trim()}`)
        .join('\n');
    }
  } else if (err !== undefined) {
    extras.push(`err=${formatValue(err)}`);
  }

  const text = [...parts, ...extras].filter((p) => p !== '').join(' ');
  return stack === '' ? `${text}\n` : `${text}\n${stack}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
