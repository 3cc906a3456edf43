/**
 * A configuration form generated from a plugin's `config_schema` (a JSON Schema object, see
 * src/plugins/registry/config-schema.ts): one input per top-level property — text, number,
 * integer, checkbox, a select for `enum`, one-value-per-line for arrays of strings or numbers, JSON
 * text for anything else (nested objects, arrays of objects). `required` fields are marked; the
 * server checks the config against the schema and its words are shown beside the field they name.
 *
 * Secret fields (`format: "password"`, which the server masks for operators; also `writeOnly` and
 * `x-secret`) are password inputs that never show the stored value: when editing, an empty one
 * keeps what is stored (the stored value is sent back as the server gave it — to operators the
 * server gives `""`, which it reads as "keep").
 */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiProblem } from '../../api.ts';
import { Field } from '../../../../shared/form.tsx';

/** A JSON object (a config, a schema). */
export type JsonObject = { [key: string]: unknown };

/** The input a schema property gets. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'list' | 'json';

/** One generated field: a top-level property of the schema. */
export interface SchemaField {
  name: string;
  kind: FieldKind;
  /** The schema's `title`, else the property name. */
  label: string;
  description: string;
  required: boolean;
  secret: boolean;
  /** `enum` values, in the schema's order (kept with their JSON types). */
  options: unknown[];
  /** For `list`: whether the items are numbers. */
  numericItems: boolean;
  /** A long text (PEM, `format: "textarea"`): a textarea. */
  multiline: boolean;
  /** `default`, else the plugin guide's `default_value`, else undefined. */
  defaultValue: unknown;
}

/** What the form holds for each field: text, or a checkbox's state. */
export type FormValues = Record<string, string | boolean>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a JSON object text ('' or anything else → `{}`). Pure. */
export function parseObject(text: string | undefined): JsonObject {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Whether a schema property holds a secret. */
function isSecret(property: JsonObject): boolean {
  return property.format === 'password' || property.writeOnly === true || property['x-secret'] === true;
}

function kindOf(property: JsonObject): { kind: FieldKind; numericItems: boolean } {
  if (Array.isArray(property.enum)) return { kind: 'enum', numericItems: false };
  const type = Array.isArray(property.type) ? property.type.find((entry) => entry !== 'null') : property.type;
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean') return { kind: type, numericItems: false };
  if (type === 'array' && isObject(property.items)) {
    const itemType = property.items.type;
    if (itemType === 'string' || itemType === undefined) return { kind: 'list', numericItems: false };
    if (itemType === 'number' || itemType === 'integer') return { kind: 'list', numericItems: true };
  }
  if (type === undefined && !isObject(property.properties) && property.items === undefined) return { kind: 'string', numericItems: false };
  return { kind: 'json', numericItems: false };
}

/** The fields of a `config_schema` text, in the schema's property order. Pure. */
export function fieldsOf(schemaText: string): SchemaField[] {
  const schema = parseObject(schemaText);
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
  return Object.entries(properties).filter((entry): entry is [string, JsonObject] => isObject(entry[1])).map(([name, property]) => {
    const { kind, numericItems } = kindOf(property);
    const description = typeof property.description === 'string' ? property.description : '';
    return {
      name,
      kind,
      label: typeof property.title === 'string' && property.title !== '' ? property.title : name,
      description,
      required: required.includes(name),
      secret: isSecret(property),
      options: Array.isArray(property.enum) ? property.enum : [],
      numericItems,
      multiline: property.format === 'textarea' || /_pem$/.test(name) || /\bPEM\b/.test(description),
      defaultValue: property.default !== undefined ? property.default : property.default_value,
    };
  });
}

/** How a stored value looks in a text input. */
function textOf(field: SchemaField, value: unknown): string | boolean {
  if (field.kind === 'boolean') return value === true || value === 'true';
  if (value === undefined || value === null) return '';
  if (field.kind === 'list') return Array.isArray(value) ? value.map((item) => String(item)).join('\n') : String(value);
  if (field.kind === 'json') return JSON.stringify(value, null, 2);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The form's starting values: the stored config when editing (secrets always empty), else each
 * field's default. Pure.
 */
export function initialValues(fields: readonly SchemaField[], stored: JsonObject | null): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    if (field.secret) values[field.name] = '';
    else values[field.name] = textOf(field, stored ? stored[field.name] : field.defaultValue);
  }
  return values;
}

/** A problem the browser finds before asking the server (only text it cannot send: bad JSON). */
export interface LocalProblem {
  field: string;
  message: string;
}

/**
 * The config the form's values make. Empty inputs are left out (the server then says whether the
 * field is required), except a secret left empty while editing, which takes `stored`'s value
 * (keep). Numbers that do not parse are sent as typed, for the server to refuse with its words.
 * Keys of `stored` the schema does not describe are kept. `badJson` words a JSON field that does
 * not parse. Pure.
 */
export function buildConfig(fields: readonly SchemaField[], values: FormValues, stored: JsonObject | null, badJson: (field: string, message: string) => string): { config: JsonObject } | { problem: LocalProblem } {
  const known = new Set(fields.map((field) => field.name));
  const config: JsonObject = {};
  if (stored) for (const [key, value] of Object.entries(stored)) if (!known.has(key)) config[key] = value;
  for (const field of fields) {
    const raw = values[field.name];
    if (field.kind === 'boolean') {
      config[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') {
      if (field.secret && stored && stored[field.name] !== undefined) config[field.name] = stored[field.name];
      continue;
    }
    switch (field.kind) {
      case 'number':
      case 'integer': {
        const number = Number(text.trim());
        config[field.name] = Number.isFinite(number) && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text.trim()) ? number : text;
        break;
      }
      case 'enum':
        config[field.name] = field.options.find((option) => String(option) === text) ?? text;
        break;
      case 'list': {
        const items = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
        config[field.name] = field.numericItems ? items.map((item) => (Number.isFinite(Number(item)) ? Number(item) : item)) : items;
        break;
      }
      case 'json':
        try {
          config[field.name] = JSON.parse(text) as unknown;
        } catch (error) {
          return { problem: { field: field.name, message: badJson(field.name, error instanceof Error ? error.message : String(error)) } };
        }
        break;
      default:
        config[field.name] = text;
    }
  }
  return { config };
}

/**
 * The problem as the form shows it: a config refusal (`config_json: config field "url" is
 * required`, `cannot enable …: config field "url" …`) names the field `config.url`; a taken display
 * name (AlreadyExists) names `display_name`. Pure.
 */
export function formProblem(problem: ApiProblem): ApiProblem {
  const configField = /config field "([^".]+)/.exec(problem.message);
  if (configField?.[1]) return { ...problem, field: `config.${configField[1]}` };
  if (problem.code === 6) return { ...problem, field: 'display_name' };
  return problem;
}

/** The field names of the generated inputs, as {@link formProblem} names them. */
export function configFieldNames(fields: readonly SchemaField[]): string[] {
  return fields.map((field) => `config.${field.name}`);
}

/** The generated inputs. `stored` (editing) tells the secret fields whether a value is stored. */
export function ConfigFields({ fields, values, onChange, problem, stored }: {
  fields: readonly SchemaField[];
  values: FormValues;
  onChange(name: string, value: string | boolean): void;
  problem: ApiProblem | null;
  stored: JsonObject | null;
}) {
  const { t } = useTranslation('plugins');
  if (fields.length === 0) return <p className="muted">{t('noSchema')}</p>;
  return (
    <div data-testid="config-fields">
      {fields.map((field) => {
        const name = `config.${field.name}`;
        const value = values[field.name];
        const text = typeof value === 'string' ? value : '';
        const label: ReactNode = (
          <>
            <code>{field.label}</code>
            {field.required && <span className="required" title={t('required')}> *</span>}
            {field.description && <small className="hint"> — {field.description}</small>}
          </>
        );
        let input: ReactNode;
        if (field.kind === 'boolean') {
          input = <input type="checkbox" name={name} checked={value === true} onChange={(event) => onChange(field.name, event.target.checked)} />;
        } else if (field.kind === 'enum') {
          input = (
            <select name={name} value={text} onChange={(event) => onChange(field.name, event.target.value)}>
              <option value="">{t('none')}</option>
              {field.options.map((option) => <option key={String(option)} value={String(option)}>{String(option)}</option>)}
            </select>
          );
        } else if (field.secret) {
          const storedValue = stored ? stored[field.name] : undefined;
          const isStored = stored !== null && storedValue !== undefined && storedValue !== null;
          input = (
            <>
              <input type="password" name={name} autoComplete="new-password" value={text}
                placeholder={stored ? t('secretKeep') : ''} onChange={(event) => onChange(field.name, event.target.value)} />
              {stored && <small className="muted" data-testid={`secret-state-${field.name}`}>{isStored ? t('secretSet') : t('secretEmpty')} · {t('secretKeep')}</small>}
            </>
          );
        } else if (field.kind === 'list' || field.kind === 'json' || field.multiline) {
          input = (
            <>
              <textarea name={name} rows={field.kind === 'json' || field.multiline ? 5 : 3} value={text} onChange={(event) => onChange(field.name, event.target.value)} />
              {field.kind !== 'string' && <small className="muted">{field.kind === 'list' ? t('arrayHint') : t('jsonHint')}</small>}
            </>
          );
        } else {
          input = <input type="text" inputMode={field.kind === 'string' ? undefined : 'decimal'} name={name} value={text} onChange={(event) => onChange(field.name, event.target.value)} />;
        }
        return <Field key={field.name} label={label} name={name} problem={problem}>{input}</Field>;
      })}
    </div>
  );
}

/**
 * A config for reading: secret fields that hold a value shown as dots, never the value. The server
 * sends operators `""` for every secret (`seesSecrets` false), so for them an empty one is "hidden".
 */
export function ConfigView({ fields, config, seesSecrets }: { fields: readonly SchemaField[]; config: JsonObject; seesSecrets: boolean }) {
  const { t } = useTranslation('plugins');
  const secrets = new Set(fields.filter((field) => field.secret).map((field) => field.name));
  // The schema's order first, then keys it does not describe.
  const order = fields.map((field) => field.name);
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  const entries = Object.entries(config).sort(([a], [b]) => rank(a) - rank(b));
  if (entries.length === 0) return <p className="muted">{t('noConfig')}</p>;
  return (
    <table className="config-view" data-testid="config-view">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key} data-key={key}>
            <th>{key}</th>
            <td>{secrets.has(key)
              ? <span className="masked" data-testid={`config-${key}`}>{value === '' || value === null || value === undefined ? (seesSecrets ? t('secretEmpty') : t('secretHidden')) : '••••••••'}</span>
              : <code data-testid={`config-${key}`}>{typeof value === 'string' ? value : JSON.stringify(value)}</code>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
