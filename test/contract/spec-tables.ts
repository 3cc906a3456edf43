/**
 * A parser for the API tables of the RustBill specification (`/work/shared/spec`).
 *
 * It reads what the markdown says and nothing more; it knows no field of its own. The contract test
 * (`spec-contract.test.ts`) compares its output with the generated protobuf descriptors.
 *
 * Understood forms:
 * - `rustbill-docs.md`, from the line `gRPC API 参考` to the end: the service list (`服务清单`), each
 *   service's `RPC 列表`, `Request — X` / `Response — X` headings followed by a field table or
 *   `无字段` (no fields), common types tabled under a bare name (`UserInfo`, `EmptyRequest /
 *   EmptyResponse`), and `详情同 ProductService 中的 SyncProducts` (same as another RPC).
 * - `extra-services.md`: `## rustbill.<pkg>.<Service>` sections, compact definitions such as
 *   "`ProductCategoryInfo` (fixed): id 1 string · name 2 string ...", the RPC rows
 *   `| Rpc | name 1 · description 2 | category 1 | permission |`, and `` `X { a 1 T; b 2 U }` ``.
 * - Loose field tables without headings (`customer-service.md` and friends), for cross-checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A field as the specification documents it. */
export interface SpecField {
  /** proto field name (snake_case). */
  readonly name: string;
  /** Field number. */
  readonly number: number;
  /**
   * Base type as written: a scalar (`string`, `uint32`, ...) or a message name (`UserInfo`).
   * For a map, the value type. `undefined` when the specification leaves the type out.
   */
  readonly type: string | undefined;
  /** `repeated X`. */
  readonly repeated: boolean;
  /** `T?`, `optional`, or a "treat N-M as optional" note: proto3 `optional`. */
  readonly optional: boolean;
  /** `map<K,V>`: the key type (the value type is `type`). */
  readonly mapKey: string | undefined;
  /** The name was lost in the spec text and recovered from the description. */
  readonly recoveredName: boolean;
  /** `file:line` of the definition. */
  readonly source: string;
}

/** A message as the specification documents it. */
export interface SpecMessage {
  /** proto package of the section that documents it (`undefined`: the text names none). */
  readonly pkg: string | undefined;
  /** Simple message name. */
  readonly name: string;
  /** Documented fields (empty for "no fields"). */
  readonly fields: readonly SpecField[];
  /** The name is this project's convention (`<Rpc>Request`), not written in the spec. */
  readonly conventionalName: boolean;
  /** `file:line` of the definition. */
  readonly source: string;
}

/** An RPC as the specification documents it. */
export interface SpecRpc {
  /** Method name. */
  readonly name: string;
  /** Request message simple name (`undefined` with `sameAs`). */
  request: string | undefined;
  /** Response message simple name (`undefined` with `sameAs`). */
  response: string | undefined;
  /** "Details as ProductService.SyncProducts": the same request and response messages. */
  sameAs: { readonly service: string; readonly rpc: string } | undefined;
  /** Request/response names are this project's convention, not written in the spec. */
  readonly conventionalNames: boolean;
  /** `file:line` of the RPC. */
  readonly source: string;
}

/** A service as the specification documents it. */
export interface SpecService {
  /** proto package, e.g. `rustbill.identity`. */
  readonly pkg: string;
  /** Service name, e.g. `IdentityService`. */
  readonly name: string;
  /** RPCs in documented order. */
  readonly rpcs: SpecRpc[];
  /** The field tables of the service's section in order (for cross-checks with loose files). */
  readonly tables: SpecField[][];
  /** `file:line` of the section. */
  readonly source: string;
}

/** Everything parsed from one or more specification files. */
export interface SpecDocument {
  readonly services: SpecService[];
  readonly messages: SpecMessage[];
}

/** A parsed type expression of a table cell. */
export interface TypeExpr {
  readonly type: string;
  readonly repeated: boolean;
  readonly optional: boolean;
  readonly mapKey: string | undefined;
}

/** Thrown for text the parser does not understand, so that nothing is skipped silently. */
export class SpecParseError extends Error {
  override readonly name = 'SpecParseError';
}

/**
 * Field names lost from the spec text are recovered from their description. A lost name whose
 * description matches none of these is an error.
 */
const LOST_NAME_HINTS: ReadonlyArray<{ readonly description: RegExp; readonly name: string }> = [
  { description: /邮箱/, name: 'email' },
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses a type expression as the tables write it: `string`, `string?`, `PaymentInfo?`,
 * `repeated UserInfo`, `map<string,string>`. Throws {@link SpecParseError} on anything else.
 */
export function parseTypeExpr(text: string): TypeExpr {
  const t = text.replaceAll('`', '').trim();
  const map = /^map\s*<\s*(\w+)\s*,\s*(\w+)\s*>$/.exec(t);
  if (map) return { type: map[2]!, repeated: false, optional: false, mapKey: map[1]! };
  const rep = /^repeated\s+(\w+)$/.exec(t);
  if (rep) return { type: rep[1]!, repeated: true, optional: false, mapKey: undefined };
  const opt = /^optional\s+(\w+)$/.exec(t);
  if (opt) return { type: opt[1]!, repeated: false, optional: true, mapKey: undefined };
  const base = /^(\w+)(\?)?$/.exec(t);
  if (base) return { type: base[1]!, repeated: false, optional: base[2] === '?', mapKey: undefined };
  throw new SpecParseError(`not a type expression: ${JSON.stringify(text)}`);
}

/** Splits a markdown table row into trimmed cells (without the outer pipes). */
export function splitRow(line: string): string[] {
  let s = line.trim();
  if (!s.startsWith('|')) throw new SpecParseError(`not a table row: ${line}`);
  s = s.slice(1);
  if (s.endsWith('|')) s = s.slice(0, -1);
  return s.split('|').map((c) => c.trim());
}

function isSeparatorRow(cells: readonly string[]): boolean {
  return cells.every((c) => /^:?-{2,}:?$/.test(c));
}

/**
 * First cells of the header rows the spec's tables use. The per-service reference files lost the
 * separator rows and the blank lines between tables, so a header row there starts a new table.
 */
const HEADER_FIRST_CELLS: ReadonlySet<string> = new Set(['字段', '错误', 'RPC', '类型']);

interface RawTable {
  readonly header: string[];
  readonly rows: Array<{ readonly cells: string[]; readonly line: number }>;
  /** Index of the last line of the table. */
  readonly end: number;
}

/** Reads the table starting at `lines[start]` (0-based); line numbers in rows are 1-based. */
function readTable(lines: readonly string[], start: number): RawTable {
  const header = splitRow(lines[start]!);
  const rows: Array<{ cells: string[]; line: number }> = [];
  let i = start + 1;
  for (; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
    const cells = splitRow(lines[i]!);
    if (isSeparatorRow(cells)) continue;
    if (HEADER_FIRST_CELLS.has(cells[0]!)) break;
    rows.push({ cells, line: i + 1 });
  }
  return { header, rows, end: i - 1 };
}

function isFieldTableHeader(header: readonly string[]): boolean {
  return header[0] === '字段' && header[1] === '类型' && header[2] === '编号';
}

/** Parses the rows of a `| 字段 | 类型 | 编号 | ... |` table, recovering lost names. */
function parseFieldTable(table: RawTable, file: string): SpecField[] {
  const descIdx = table.header.indexOf('描述');
  return table.rows.map(({ cells, line }) => {
    const source = `${file}:${line}`;
    let name: string;
    let typeCell: string;
    let numberCell: string;
    let recoveredName = false;
    if (/^\d+$/.test(cells[2] ?? '')) {
      name = cells[0]!;
      typeCell = cells[1]!;
      numberCell = cells[2]!;
    } else if (/^\d+$/.test(cells[1] ?? '')) {
      // The name cell was lost and the remaining cells moved one to the left.
      typeCell = cells[0]!;
      numberCell = cells[1]!;
      const description = cells.slice(Math.max(descIdx - 1, 2)).join(' ');
      const hint = LOST_NAME_HINTS.find((h) => h.description.test(description));
      if (!hint) {
        throw new SpecParseError(`${source}: field name lost and not recoverable from "${description}"`);
      }
      name = hint.name;
      recoveredName = true;
    } else {
      throw new SpecParseError(`${source}: no field number in row ${JSON.stringify(cells)}`);
    }
    if (!IDENT.test(name)) throw new SpecParseError(`${source}: bad field name ${JSON.stringify(name)}`);
    const t = parseTypeExpr(typeCell);
    return { name, number: Number(numberCell), ...t, recoveredName, source };
  });
}

/**
 * Parses the gRPC API reference of the RustBill handbook (`rustbill-docs.md`), from the line
 * `gRPC API 参考` to the end of the text. Throws {@link SpecParseError} on text it cannot place.
 */
export function parseHandbook(markdown: string, file = 'rustbill-docs.md'): SpecDocument {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === 'gRPC API 参考');
  if (start < 0) throw new SpecParseError(`${file}: no "gRPC API 参考" section`);

  const services: SpecService[] = [];
  const messages: SpecMessage[] = [];
  const packages = new Map<string, string>();
  let pkg = 'rustbill.common';
  let service: SpecService | undefined;
  let rpc: SpecRpc | undefined;
  let pending: { names: string[]; line: number } | undefined;

  const addMessage = (names: readonly string[], fields: SpecField[], line: number): void => {
    for (const name of names) {
      messages.push({ pkg, name, fields, conventionalName: false, source: `${file}:${line}` });
    }
  };

  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('|')) {
      const table = readTable(lines, i);
      i = table.end;
      if (table.header[0] === '服务' && table.header[1] === 'Package') {
        for (const { cells } of table.rows) packages.set(cells[0]!, cells[1]!);
      } else if (table.header[0] === 'RPC' && service && service.rpcs.length === 0) {
        for (const { cells, line: n } of table.rows) {
          service.rpcs.push({
            name: cells[0]!,
            request: undefined,
            response: undefined,
            sameAs: undefined,
            conventionalNames: false,
            source: `${file}:${n}`,
          });
        }
      } else if (isFieldTableHeader(table.header)) {
        if (!pending) throw new SpecParseError(`${file}:${i + 1}: field table without a message heading`);
        if (pending.names.length !== 1) {
          throw new SpecParseError(`${file}:${i + 1}: one field table for ${pending.names.join(', ')}`);
        }
        const fields = parseFieldTable(table, file);
        addMessage(pending.names, fields, pending.line);
        service?.tables.push(fields);
        pending = undefined;
      }
      continue;
    }
    const servicePkg = packages.get(line);
    if (servicePkg !== undefined) {
      pkg = servicePkg;
      service = { pkg, name: line, rpcs: [], tables: [], source: `${file}:${i + 1}` };
      services.push(service);
      rpc = undefined;
      pending = undefined;
      continue;
    }
    const heading = /^(Request|Response)\s*[—–-]+\s*(\w+)$/.exec(line);
    if (heading) {
      if (!rpc) throw new SpecParseError(`${file}:${i + 1}: ${heading[1]} heading outside an RPC`);
      if (heading[1] === 'Request') rpc.request = heading[2]!;
      else rpc.response = heading[2]!;
      pending = { names: [heading[2]!], line: i + 1 };
      continue;
    }
    if (line.startsWith('无字段')) {
      if (pending) addMessage(pending.names, [], pending.line);
      pending = undefined;
      continue;
    }
    const same = /详情同\s*(\w+)\s*中的\s*(\w+)/.exec(line);
    if (same) {
      if (!rpc) throw new SpecParseError(`${file}:${i + 1}: "详情同" outside an RPC`);
      rpc.sameAs = { service: same[1]!, rpc: same[2]! };
      continue;
    }
    const rpcHere = service?.rpcs.find((r) => r.name === line);
    if (rpcHere) {
      rpc = rpcHere;
      pending = undefined;
      continue;
    }
    if (/^[A-Z]\w*(\s*\/\s*[A-Z]\w*)*$/.test(line)) {
      pending = { names: line.split('/').map((s) => s.trim()), line: i + 1 };
    }
  }

  if (packages.size === 0) throw new SpecParseError(`${file}: no service list (服务清单)`);
  for (const name of packages.keys()) {
    if (!services.some((s) => s.name === name)) {
      throw new SpecParseError(`${file}: service ${name} is listed but has no section`);
    }
  }
  for (const s of services) {
    if (s.rpcs.length === 0) throw new SpecParseError(`${s.source}: ${s.name} has no RPC list`);
    for (const r of s.rpcs) {
      if (!r.sameAs && (r.request === undefined || r.response === undefined)) {
        throw new SpecParseError(`${r.source}: ${s.name}.${r.name} has no request/response heading`);
      }
    }
  }
  return { services, messages: dedupeMessages(messages) };
}

/** Parses one compact field item such as `sort_order 4 int32`, `customer_id 2?` or `fields 2 repeated \`X\``. */
export function parseCompactField(item: string, source: string, optionalNumbers?: ReadonlySet<number>): SpecField {
  const m = /^(\w+)\s+(\d+)(\?)?\s*(.*)$/.exec(item.replaceAll('`', '').trim());
  if (!m) throw new SpecParseError(`${source}: not a field: ${JSON.stringify(item)}`);
  const number = Number(m[2]);
  const rest = m[4]!.trim().replace(/\.$/, '');
  let t: TypeExpr | undefined;
  let optional = m[3] === '?' || (optionalNumbers?.has(number) ?? false);
  if (rest === 'optional') optional = true;
  else if (rest !== '') t = parseTypeExpr(rest);
  return {
    name: m[1]!,
    number,
    type: t?.type,
    repeated: t?.repeated ?? false,
    optional: optional || (t?.optional ?? false),
    mapKey: t?.mapKey,
    recoveredName: false,
    source,
  };
}

/** Removes `( ... )` groups, returning the text and the groups' contents. */
function stripParentheses(text: string): { text: string; notes: string[] } {
  const notes: string[] = [];
  let out = text;
  for (;;) {
    const next = out.replace(/\(([^()]*)\)/, (_all, inner: string) => {
      notes.push(inner);
      return ' ';
    });
    if (next === out) break;
    out = next;
  }
  return { text: out, notes };
}

/** Parses a compact field list (`a 1 · b 2 string · c 3?`); `empty` yields no fields. */
export function parseCompactFieldList(text: string, source: string): SpecField[] {
  const { text: bare, notes } = stripParentheses(text);
  const optionalNumbers = new Set<number>();
  for (const note of notes) {
    const range = /treat\s+(\d+)\s*-\s*(\d+)\s+as\s+optional/.exec(note);
    if (range) for (let n = Number(range[1]); n <= Number(range[2]); n++) optionalNumbers.add(n);
  }
  if (bare.trim() === 'empty') return [];
  return bare
    .split(/[·;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => parseCompactField(s, source, optionalNumbers));
}

const DEFINITION = /^`(\w+)`\s*\(([^)]*)\)\s*:\s*(.*)$/;

/**
 * Parses `extra-services.md`: `## rustbill.<pkg>.<Service>` sections, compact message definitions
 * and RPC rows. Request/response messages of an RPC row get the conventional names
 * `<Rpc>Request` / `<Rpc>Response`. Throws {@link SpecParseError} on text it cannot place.
 */
export function parseExtraServices(markdown: string, file = 'extra-services.md'): SpecDocument {
  const lines = markdown.split(/\r?\n/);
  const services: SpecService[] = [];
  const messages: SpecMessage[] = [];
  let pkg: string | undefined;
  let service: SpecService | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const source = `${file}:${i + 1}`;
    if (line.startsWith('## ')) {
      const m = /^##\s+(rustbill(?:\.\w+)+)\.(\w+Service)$/.exec(line);
      if (m) {
        pkg = m[1]!;
        service = { pkg, name: m[2]!, rpcs: [], tables: [], source };
        services.push(service);
      } else {
        pkg = undefined;
        service = undefined;
      }
      continue;
    }
    const def = DEFINITION.exec(line);
    if (def) {
      // The definition runs on until a blank line, a table, a heading or the next definition.
      const parts = [def[3]!];
      while (i + 1 < lines.length) {
        const next = lines[i + 1]!.trim();
        if (next === '' || next.startsWith('|') || next.startsWith('#') || DEFINITION.test(next)) break;
        parts.push(next);
        i++;
      }
      let body = parts.join(' ');
      const dash = body.indexOf(' — ');
      if (dash >= 0) body = body.slice(0, dash);
      body = stripParentheses(body).text;
      const stop = /\.(\s|$)/.exec(body);
      if (stop) body = body.slice(0, stop.index);
      const fields = parseCompactFieldList(body, source);
      messages.push({ pkg, name: def[1]!, fields, conventionalName: false, source });
      continue;
    }
    for (const inline of line.matchAll(/`(\w+)\s*\{([^}]*)\}`/g)) {
      const fields = parseCompactFieldList(inline[2]!, source);
      messages.push({ pkg, name: inline[1]!, fields, conventionalName: false, source });
    }
    if (line.startsWith('|')) {
      const table = readTable(lines, i);
      i = table.end;
      if (table.header[0] !== 'RPC' || table.header[1] !== 'request') continue;
      if (!service || pkg === undefined) throw new SpecParseError(`${source}: RPC table outside a service section`);
      for (const { cells, line: n } of table.rows) {
        const rowSource = `${file}:${n}`;
        const requestFields = parseCompactFieldList(cells[1]!, rowSource);
        const responseFields = parseCompactFieldList(cells[2]!, rowSource);
        for (const name of cells[0]!.split(',').map((s) => s.trim())) {
          if (!IDENT.test(name)) throw new SpecParseError(`${rowSource}: bad RPC name ${JSON.stringify(name)}`);
          const request = `${name}Request`;
          const response = `${name}Response`;
          service.rpcs.push({
            name,
            request,
            response,
            sameAs: undefined,
            conventionalNames: true,
            source: rowSource,
          });
          messages.push({ pkg, name: request, fields: requestFields, conventionalName: true, source: rowSource });
          messages.push({ pkg, name: response, fields: responseFields, conventionalName: true, source: rowSource });
        }
      }
    }
  }
  for (const s of services) {
    if (s.rpcs.length === 0) throw new SpecParseError(`${s.source}: ${s.name} has no RPC table`);
  }
  return { services, messages: dedupeMessages(messages) };
}

/**
 * Parses every `| 字段 | 类型 | 编号 | ... |` table of a file, in order, whatever heads it (used for
 * the per-service reference files, whose headings were lost).
 */
export function parseLooseFieldTables(markdown: string, file: string): SpecField[][] {
  const lines = markdown.split(/\r?\n/);
  const tables: SpecField[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|')) continue;
    const table = readTable(lines, i);
    i = table.end;
    if (isFieldTableHeader(table.header)) tables.push(parseFieldTable(table, file));
  }
  return tables;
}

function sameFields(a: readonly SpecField[], b: readonly SpecField[]): boolean {
  const key = (f: SpecField): string =>
    [f.name, f.number, f.type, f.repeated, f.optional, f.mapKey].join('/');
  return a.length === b.length && a.every((f, i) => key(f) === key(b[i]!));
}

/**
 * Merges repeated definitions of one message (`pkg` + `name`); identical repeats collapse,
 * conflicting ones are an error.
 */
export function dedupeMessages(messages: readonly SpecMessage[]): SpecMessage[] {
  const byKey = new Map<string, SpecMessage>();
  for (const m of messages) {
    const key = `${m.pkg ?? '?'}.${m.name}`;
    const prior = byKey.get(key);
    if (!prior) byKey.set(key, m);
    else if (!sameFields(prior.fields, m.fields)) {
      throw new SpecParseError(`${m.source}: ${key} conflicts with its definition at ${prior.source}`);
    }
  }
  return [...byKey.values()];
}

/** The specification files this parser reads. */
export const SPEC_FILES = {
  handbook: 'rustbill-docs.md',
  extra: 'extra-services.md',
  /** Per-service reference files (no headings) and the handbook service they repeat. */
  loose: {
    'customer-service.md': 'CustomerService',
    'product-service.md': 'ProductService',
    'integration-service.md': 'IntegrationService',
  },
} as const;

/**
 * Reads and parses the handbook and `extra-services.md` from a spec directory and merges them.
 * Throws if a file is missing or unparseable.
 */
export function loadSpec(dir: string): SpecDocument {
  const read = (name: string): string => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new SpecParseError(`specification file missing: ${path}`);
    return readFileSync(path, 'utf8');
  };
  const handbook = parseHandbook(read(SPEC_FILES.handbook), SPEC_FILES.handbook);
  const extra = parseExtraServices(read(SPEC_FILES.extra), SPEC_FILES.extra);
  return {
    services: [...handbook.services, ...extra.services],
    messages: dedupeMessages([...handbook.messages, ...extra.messages]),
  };
}
