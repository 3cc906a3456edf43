/**
 * Importing a provider's items into the catalog (ImportUpstreamProducts, README "Catalog"): a
 * provider interface (an upstream one, or a first-party one — the server takes any provider), the
 * group to put them into, and the items — name, description, cost price, the upstream product id
 * (the spec `upstream_product_id`, the item's identity; without it the name is) and other spec
 * values. The server creates new items **inactive, priced at their cost** and updates known ones
 * (name, description, specs, cost; price and activity kept). A refusal shows the server's words
 * beside the field it names (`items[1].cost_price`), or above the form, and nothing is stored.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router-dom';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { groupLabel, type CatalogRefs } from './data.ts';
import './strings.ts';

/** The spec naming an item's upstream product (its identity within the interface). */
export const UPSTREAM_ID_SPEC = 'upstream_product_id';

/** One item as typed. */
interface ItemDraft {
  /** A stable React key. */
  key: number;
  name: string;
  description: string;
  costPrice: string;
  upstreamId: string;
  /** Other spec values, one `key=value` a line. */
  specs: string;
}

let nextKey = 1;
function emptyItem(): ItemDraft {
  nextKey += 1;
  return { key: nextKey, name: '', description: '', costPrice: '', upstreamId: '', specs: '' };
}

/**
 * The specs of `text` (one `key=value` a line; blank lines skipped) plus the upstream id, or the
 * 1-based number of the first line that is not `key=value`. Pure.
 */
export function parseSpecLines(text: string, upstreamId: string): { specs: Record<string, string> } | { badLine: number } {
  const specs: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) return { badLine: index + 1 };
    specs[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  if (upstreamId.trim() !== '') specs[UPSTREAM_ID_SPEC] = upstreamId.trim();
  return { specs };
}

/** The fields of item `index` a refusal can name. */
function itemFields(index: number): string[] {
  return ['name', 'description', 'cost_price', 'specs'].map((field) => `items[${index}].${field}`);
}

/** The import screen (route catalog/products/import). */
export function ImportUpstream({ refs }: { refs: CatalogRefs }) {
  const { t } = useTranslation('catalog');
  const navigate = useNavigate();
  const [interfaceId, setInterfaceId] = useState('');
  const [groupId, setGroupId] = useState('');
  const [items, setItems] = useState<ItemDraft[]>(() => [emptyItem()]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);

  const setItem = (key: number, change: Partial<ItemDraft>) => setItems((old) => old.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const sent: Array<{ name: string; description: string; costPrice: string; specs: Record<string, string> }> = [];
    for (const [index, item] of items.entries()) {
      const parsed = parseSpecLines(item.specs, item.upstreamId);
      if ('badLine' in parsed) {
        setProblem({ code: 3, message: t('badSpecLine', { line: parsed.badLine }), field: `items[${index}].specs` });
        return;
      }
      sent.push({ name: item.name, description: item.description, costPrice: item.costPrice.trim(), specs: parsed.specs });
    }
    setBusy(true);
    const provider = refs.providers.find((entry) => entry.interfaceId === interfaceId)?.providerName ?? interfaceId;
    const group = refs.groups.find((entry) => entry.id === groupId);
    api.products.importUpstreamProducts({ interfaceId, groupId, items: sent }).then(
      (answer) => {
        refs.reload();
        const notice = group
          ? t('importedInto', { count: answer.importedCount, provider, group: groupLabel(group, refs.categories) })
          : t('imported', { count: answer.importedCount, provider });
        void navigate('/catalog/products', { state: { notice, groupId, interfaceId } });
      },
      (failure: unknown) => { setProblem(problemOf(failure)); setBusy(false); },
    );
  };

  const fields = ['interface_id', 'group_id', ...items.flatMap((_item, index) => itemFields(index))];
  return (
    <form className="form" onSubmit={submit} data-testid="import-form" noValidate style={{ maxWidth: 980 }}>
      <h2 style={{ marginTop: 0 }}>{t('importTitle')}</h2>
      <p className="muted" style={{ marginTop: 0 }}>{t('importHint')}</p>
      <FormProblem problem={problem} fields={fields} />
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0 1rem' }}>
        <Field label={t('provider')} name="interface_id" problem={problem}>
          <select value={interfaceId} onChange={(e) => setInterfaceId(e.target.value)}>
            <option value="">{t('chooseProvider')}</option>
            {refs.providers.map((entry) => (
              <option key={entry.interfaceId} value={entry.interfaceId}>
                {entry.providerName} ({entry.providerType === 'upstream' ? t('upstreamProvider') : t('firstPartyProvider')})
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('importInto')} name="group_id" problem={problem}>
          <select value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">{t('noGroup')}</option>
            {refs.groups.map((group) => <option key={group.id} value={group.id}>{groupLabel(group, refs.categories)}</option>)}
          </select>
        </Field>
      </div>
      {items.map((item, index) => (
        <fieldset key={item.key} data-testid={`import-item-${index}`} aria-label={t('itemN', { n: index + 1 })}
          style={{ border: '1px solid #dde3ee', borderRadius: 8, padding: '0.6rem 1rem', marginBottom: '0.8rem' }}>
          <legend>{t('itemN', { n: index + 1 })}</legend>
          <div style={{ display: 'grid', gridTemplateColumns: '2fr 1fr 1fr', gap: '0 1rem' }}>
            <Field label={t('name')} name={`items[${index}].name`} problem={problem}>
              <input value={item.name} onChange={(e) => setItem(item.key, { name: e.target.value })} />
            </Field>
            <Field label={t('costPrice')} name={`items[${index}].cost_price`} problem={problem}>
              <input inputMode="decimal" placeholder="30.00" value={item.costPrice} onChange={(e) => setItem(item.key, { costPrice: e.target.value })} />
            </Field>
            <Field label={t('upstreamId')} name={`items[${index}].upstream_product_id`} problem={problem}>
              <input value={item.upstreamId} onChange={(e) => setItem(item.key, { upstreamId: e.target.value })} />
            </Field>
          </div>
          <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0 1rem' }}>
            <Field label={t('description')} name={`items[${index}].description`} problem={problem}>
              <textarea rows={3} value={item.description} onChange={(e) => setItem(item.key, { description: e.target.value })} />
            </Field>
            <Field label={t('itemSpecs')} name={`items[${index}].specs`} problem={problem}>
              <textarea rows={3} className="code" placeholder={'cpu=2\nmemory=4'} value={item.specs} onChange={(e) => setItem(item.key, { specs: e.target.value })} />
            </Field>
          </div>
          {items.length > 1 && <button type="button" onClick={() => setItems((old) => old.filter((entry) => entry.key !== item.key))}>{t('removeItem')}</button>}
        </fieldset>
      ))}
      <div className="toolbar">
        <button type="button" onClick={() => setItems((old) => [...old, emptyItem()])}>{t('addItem')}</button>
        <button type="submit" className="primary" disabled={busy}>{t('importButton')}</button>
        <Link to="/catalog/products">{t('back')}</Link>
      </div>
    </form>
  );
}
