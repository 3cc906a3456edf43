/**
 * Plugin configuration against the plugin's `config_schema()` (plugin guide: 示例五 config_schema 详解,
 * 配置展开模式): JSON Schema validation with ajv, and the secret fields (`format: "password"`) that
 * are masked for callers who may not see them and never logged.
 *
 * A schema comes from a plugin script, so its `pattern`s and `patternProperties` are run with RE2
 * (`re2js`, pure JavaScript, linear time in the input) instead of JavaScript's backtracking
 * RegExp: `^(a+)+$` against a long value is as fast as any other pattern, not minutes of a blocked
 * event loop. RE2 has no backreferences and no lookahead/lookbehind; a schema using them is
 * refused, naming the field.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RE2JS } from 're2js';
import type { JsonObject } from '../../persistence/entities/plugins.ts';

/** ajv's pluggable regular-expression engine (`code.regExp`): `(pattern, flags) => { test(s) }`. */
type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

/**
 * Compiles an ECMAScript pattern of a JSON Schema with RE2 (translated by `RE2JS.translateRegExp`:
 * named groups, `\uXXXX`, `/`). Unicode-aware whatever the flags (ajv passes `u`).
 * @throws Error (RE2JS's syntax error) when RE2 cannot run the pattern (backreferences, lookaround)
 */
function compileRe2(pattern: string): RE2JS {
  return RE2JS.compile(RE2JS.translateRegExp(pattern));
}

/** The engine given to ajv: RE2 objects with `test` (a match anywhere, as RegExp.test) and a distinct `toString` (ajv caches by it). */
const re2Engine: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const re2 = compileRe2(pattern);
    return { test: (value: string) => re2.test(value), toString: () => `/${pattern}/${flags} (re2)` };
  },
  { code: 'nodebill-re2' },
);

/** Where a schema uses a regular expression: the dotted field path and the pattern. */
interface SchemaPattern {
  field: string;
  keyword: 'pattern' | 'patternProperties';
  pattern: string;
}

/** Every `pattern` and `patternProperties` key of a schema, with the field it belongs to. Pure. */
function schemaPatterns(schema: unknown): SchemaPattern[] {
  const found: SchemaPattern[] = [];
  const join = (base: string, name: string): string => (base === '' ? name : `${base}.${name}`);
  const walk = (node: unknown, field: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, field);
      return;
    }
    if (!isObject(node)) return;
    if (typeof node.pattern === 'string') found.push({ field, keyword: 'pattern', pattern: node.pattern });
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && isObject(value)) {
        for (const [name, sub] of Object.entries(value)) walk(sub, join(field, name));
      } else if (key === 'patternProperties' && isObject(value)) {
        for (const [pattern, sub] of Object.entries(value)) {
          found.push({ field, keyword: 'patternProperties', pattern });
          walk(sub, join(field, `/${pattern}/`));
        }
      } else if ((key === 'definitions' || key === '$defs' || key === 'dependentSchemas') && isObject(value)) {
        for (const [name, sub] of Object.entries(value)) walk(sub, join(key, name));
      } else if (key === 'items' || key === 'prefixItems' || key === 'additionalItems' || key === 'contains') {
        walk(value, join(field, '[]'));
      } else if (key === 'propertyNames') {
        walk(value, join(field, '(property names)'));
      } else if (SUBSCHEMA_KEYWORDS.has(key) || SUBSCHEMA_LIST_KEYWORDS.has(key)) {
        walk(value, field);
      }
    }
  };
  walk(schema, '');
  return found;
}

/**
 * Checks that RE2 can run every pattern of `schema`.
 * @throws InvalidConfigSchemaError naming the first field whose pattern RE2 cannot compile
 */
function checkPatterns(schema: unknown): void {
  for (const { field, keyword, pattern } of schemaPatterns(schema)) {
    try {
      compileRe2(pattern);
    } catch (error) {
      const where = field === '' ? 'the config' : `config field "${field}"`;
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidConfigSchemaError(
        `the plugin's config_schema is not usable: ${keyword} ${JSON.stringify(pattern.slice(0, 200))} of ${where} cannot be run by RE2, ` +
          `the linear-time regex engine NodeBill validates with (no backreferences, lookahead or lookbehind): ${reason}`,
      );
    }
  }
}

/** Schema keywords whose value must be a number; the guide's schemas write some as strings (`minimum: "1"`). */
const NUMERIC_KEYWORDS = new Set([
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties',
]);

/** Keywords holding one sub-schema, a list of them, or a map of them. */
const SUBSCHEMA_KEYWORDS = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems']);
const SUBSCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SUBSCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of `schema` ajv can compile: numeric keywords written as numeric strings become numbers
 * (the guide writes `minimum: "1"`), everything else is kept. Pure.
 */
export function normalizeSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(normalizeSchema);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (NUMERIC_KEYWORDS.has(key) && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
      out[key] = Number(value);
    } else if (SUBSCHEMA_KEYWORDS.has(key)) {
      out[key] = normalizeSchema(value);
    } else if (SUBSCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(value)) {
      out[key] = value.map(normalizeSchema);
    } else if (SUBSCHEMA_MAP_KEYWORDS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, normalizeSchema(sub)]));
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The paths (dotted property names) of the secret fields of a config schema: properties declaring
 * `format: "password"`, also inside nested object properties. Pure.
 */
export function secretPaths(schema: JsonObject): string[][] {
  const paths: string[][] = [];
  const walk = (node: unknown, prefix: string[]): void => {
    if (!isObject(node) || !isObject(node.properties)) return;
    for (const [name, property] of Object.entries(node.properties)) {
      if (!isObject(property)) continue;
      if (property.format === 'password') paths.push([...prefix, name]);
      else walk(property, [...prefix, name]);
    }
  };
  walk(schema, []);
  return paths;
}

function getPath(config: JsonObject, path: string[]): unknown {
  let node: unknown = config;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A deep copy of `config` with the value at `path` replaced (parents created as needed). */
function withPath(config: JsonObject, path: string[], value: unknown): JsonObject {
  const [head, ...rest] = path;
  if (head === undefined) return config;
  if (rest.length === 0) return { ...config, [head]: value };
  const child = isObject(config[head]) ? config[head] : {};
  return { ...config, [head]: withPath(child, rest, value) };
}

/**
 * `config` with every secret field (see {@link secretPaths}) that holds a value replaced by `""`,
 * for callers who may not see secrets and for logs. Pure.
 */
export function maskSecrets(config: JsonObject, schema: JsonObject): JsonObject {
  let masked = config;
  for (const path of secretPaths(schema)) {
    const value = getPath(masked, path);
    if (value !== undefined && value !== null && value !== '') masked = withPath(masked, path, '');
  }
  return masked;
}

/**
 * `next` where every secret field sent as `""` (what a masked reader saw) takes the stored value
 * from `previous` again, so a caller who cannot see secrets does not erase them by saving the form.
 * Pure.
 */
export function keepMaskedSecrets(next: JsonObject, previous: JsonObject, schema: JsonObject): JsonObject {
  let merged = next;
  for (const path of secretPaths(schema)) {
    const sent = getPath(next, path);
    const stored = getPath(previous, path);
    if (sent === '' && stored !== undefined && stored !== '') merged = withPath(merged, path, stored);
  }
  return merged;
}

/** Why a config does not satisfy its schema, naming the field. */
export interface ConfigProblem {
  /** Dotted path of the offending field ('' for the config as a whole). */
  field: string;
  message: string;
}

/** Thrown by {@link ConfigValidator.compile} when a plugin's schema is not a usable JSON Schema. */
export class InvalidConfigSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigSchemaError';
  }
}

function describe(error: ErrorObject): ConfigProblem {
  const base = error.instancePath.replace(/^\//, '').split('/').filter((part) => part !== '').join('.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: unknown }).missingProperty ?? '');
    const field = base ? `${base}.${missing}` : missing;
    return { field, message: `config field "${field}" is required` };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty ?? '');
    const field = base ? `${base}.${extra}` : extra;
    return { field, message: `config field "${field}" is not part of the plugin's config_schema` };
  }
  if (base === '') return { field: '', message: `config ${error.message ?? 'is invalid'}` };
  return { field: base, message: `config field "${base}" ${error.message ?? 'is invalid'}` };
}

/**
 * Compiles plugin config schemas with ajv (draft-07 keywords, `ajv-formats`, plus the plugin
 * guide's `format: "password"`; unknown keywords such as `default_value` are ignored). Values are
 * checked with type coercion on a copy, since the guide passes numbers and booleans as strings
 * (`"465"`, `"false"`); the stored config is never changed. Compiled validators are cached by
 * schema text.
 */
export class ConfigValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({
      allErrors: false,
      strict: false,
      coerceTypes: true,
      useDefaults: false,
      logger: false,
      validateSchema: true,
      code: { regExp: re2Engine },
    });
    addFormatsModule.default(this.ajv);
    this.ajv.addFormat('password', true);
  }

  /**
   * The validator of `schema` (patterns run by RE2, see the module comment).
   * @throws InvalidConfigSchemaError when ajv cannot compile it, or a pattern is one RE2 cannot run
   *   (the message says why and names the field)
   */
  compile(schema: JsonObject): ValidateFunction {
    const key = JSON.stringify(schema);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const normalized = normalizeSchema(schema);
    checkPatterns(normalized);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(normalized as JsonObject);
    } catch (error) {
      throw new InvalidConfigSchemaError(`the plugin's config_schema is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.cache.size > 500) this.cache.clear();
    this.cache.set(key, validate);
    return validate;
  }

  /**
   * The first problem of `config` against `schema`, or null when it satisfies it. With
   * `requireAll: false` the schema's `required` lists are not enforced (a draft config of a
   * disabled interface).
   * @throws InvalidConfigSchemaError when the schema itself is unusable
   */
  check(config: JsonObject, schema: JsonObject, options: { requireAll: boolean } = { requireAll: true }): ConfigProblem | null {
    const effective = options.requireAll ? schema : withoutRequired(schema);
    const validate = this.compile(effective);
    const copy: unknown = structuredClone(config);
    if (validate(copy)) return null;
    const first = validate.errors?.[0];
    return first ? describe(first) : { field: '', message: 'config does not satisfy the plugin\'s config_schema' };
  }
}

function withoutRequired(schema: unknown): JsonObject {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'required' && Array.isArray(value)) continue;
      out[key] = SUBSCHEMA_MAP_KEYWORDS.has(key) && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strip(sub)]))
        : SUBSCHEMA_KEYWORDS.has(key) || SUBSCHEMA_LIST_KEYWORDS.has(key) ? strip(value) : value;
    }
    return out;
  };
  const stripped = strip(schema);
  return isObject(stripped) ? stripped : {};
}
