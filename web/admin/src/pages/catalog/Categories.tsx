/**
 * Categories and their groups (ProductCategoryService, ProductGroupService): list, create, edit
 * and delete both; a category's groups show when it is chosen. Refusals (a duplicate or empty
 * name, deleting a category that still has groups or a group that still has products) show the
 * server's words and change nothing.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ProductCategoryInfo } from '../../../../../src/gen/rustbill/product_category_pb.ts';
import type { ProductGroupInfo } from '../../../../../src/gen/rustbill/product_group_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { ConfirmButton } from './ConfirmButton.tsx';
import { loadCategories, loadGroups } from './data.ts';
import './strings.ts';

const FORM_FIELDS = ['name', 'description', 'sort_order', 'category_id'] as const;

interface NamedValues {
  name: string;
  description: string;
  sortOrder: string;
}

/** The form of a category or a group: name, description, sort order. */
function NamedForm({ title, submitLabel, initial, testId, onSubmit, onCancel }: {
  title: string;
  submitLabel: string;
  initial: NamedValues;
  testId: string;
  onSubmit(values: NamedValues): Promise<void>;
  onCancel?: () => void;
}) {
  const { t } = useTranslation('catalog');
  const [values, setValues] = useState(initial);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    onSubmit(values).then(
      () => setValues(initial),
      (failure: unknown) => setProblem(problemOf(failure)),
    ).finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} data-testid={testId} aria-label={title}>
      <h2 style={{ marginTop: 0 }}>{title}</h2>
      <FormProblem problem={problem} fields={FORM_FIELDS} />
      <Field label={t('name')} name="name" problem={problem}>
        <input value={values.name} onChange={(e) => setValues({ ...values, name: e.target.value })} />
      </Field>
      <Field label={t('description')} name="description" problem={problem}>
        <input value={values.description} onChange={(e) => setValues({ ...values, description: e.target.value })} />
      </Field>
      <Field label={t('sortOrder')} name="sort_order" problem={problem}>
        <input type="number" step={1} value={values.sortOrder} onChange={(e) => setValues({ ...values, sortOrder: e.target.value })} />
      </Field>
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>{submitLabel}</button>
        {onCancel && <button type="button" onClick={onCancel}>{t('cancel', { ns: 'common' })}</button>}
      </div>
    </form>
  );
}

function sortOrderOf(text: string): number {
  const value = Number.parseInt(text, 10);
  return Number.isFinite(value) ? value : 0;
}

/** Table on the left, form on the right. */
const SPLIT = { display: 'grid', gridTemplateColumns: 'minmax(0, 1fr) 320px', gap: '1rem', alignItems: 'start' } as const;
const CHOSEN = { background: '#eef3ff' } as const;

const EMPTY: NamedValues = { name: '', description: '', sortOrder: '0' };

/** The categories with their groups. */
export default function CategoriesScreen({ onChanged }: { onChanged(): void }) {
  const { t } = useTranslation('catalog');
  const [categories, setCategories] = useState<ProductCategoryInfo[]>([]);
  const [groups, setGroups] = useState<ProductGroupInfo[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [editingCategory, setEditingCategory] = useState<ProductCategoryInfo | null>(null);
  const [editingGroup, setEditingGroup] = useState<ProductGroupInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = () => { setVersion((v) => v + 1); onChanged(); };

  useEffect(() => {
    let live = true;
    loadCategories().then((rows) => { if (live) { setCategories(rows); setError(null); } }, (failure: unknown) => { if (live) setError(problemOf(failure).message); });
    return () => { live = false; };
  }, [version]);
  useEffect(() => {
    let live = true;
    if (chosen === null) { setGroups([]); return; }
    loadGroups(chosen).then((rows) => { if (live) setGroups(rows); }, (failure: unknown) => { if (live) setError(problemOf(failure).message); });
    return () => { live = false; };
  }, [chosen, version]);

  const category = categories.find((candidate) => candidate.id === chosen) ?? null;
  const act = (work: Promise<unknown>, done: string) => {
    setError(null);
    setNotice(null);
    work.then(() => { setNotice(done); reload(); }, (failure: unknown) => setError(problemOf(failure).message));
  };

  return (
    <div data-testid="catalog-categories">
      {notice && <div className="ok" role="status">{notice}</div>}
      {error && <div className="error" role="alert">{error}</div>}
      <h2>{t('categories')}</h2>
      <div style={SPLIT}>
        <div className="table-wrap">
          <table data-testid="category-table">
            <thead>
              <tr><th>{t('name')}</th><th>{t('description')}</th><th className="num">{t('sortOrder')}</th><th className="num">{t('groupCount')}</th><th>{t('actions')}</th></tr>
            </thead>
            <tbody>
              {categories.map((row) => (
                <tr key={row.id} data-testid={`category-${row.name}`} style={row.id === chosen ? CHOSEN : undefined}>
                  <td><button type="button" className="link" onClick={() => { setChosen(row.id); setEditingGroup(null); }}>{row.name}</button></td>
                  <td>{row.description}</td>
                  <td className="num">{row.sortOrder}</td>
                  <td className="num">{row.groupCount}</td>
                  <td>
                    <button type="button" onClick={() => { setChosen(row.id); setEditingGroup(null); }}>{t('showGroups')}</button>{' '}
                    <button type="button" onClick={() => setEditingCategory(row)}>{t('edit')}</button>{' '}
                    <ConfirmButton onConfirm={() => act(api.categories.deleteProductCategory({ id: row.id }).then(() => { if (chosen === row.id) setChosen(null); }), t('deleted', { name: row.name }))}>{t('delete')}</ConfirmButton>
                  </td>
                </tr>
              ))}
              {categories.length === 0 && <tr><td colSpan={5} className="muted">{t('noRows', { ns: 'common' })}</td></tr>}
            </tbody>
          </table>
        </div>
        {editingCategory
          ? <NamedForm key={`edit-${editingCategory.id}`} testId="category-form" title={t('editCategory')} submitLabel={t('save', { ns: 'common' })}
              initial={{ name: editingCategory.name, description: editingCategory.description, sortOrder: String(editingCategory.sortOrder) }}
              onCancel={() => setEditingCategory(null)}
              onSubmit={async (values) => {
                await api.categories.updateProductCategory({ id: editingCategory.id, name: values.name, description: values.description, sortOrder: sortOrderOf(values.sortOrder) });
                setEditingCategory(null);
                setNotice(t('saved', { name: values.name.trim() }));
                reload();
              }} />
          : <NamedForm key="new-category" testId="category-form" title={t('newCategory')} submitLabel={t('createCategory')} initial={EMPTY}
              onSubmit={async (values) => {
                const answer = await api.categories.createProductCategory({ name: values.name, description: values.description, sortOrder: sortOrderOf(values.sortOrder) });
                setNotice(t('created', { name: answer.category?.name ?? values.name }));
                if (answer.category) setChosen(answer.category.id);
                reload();
              }} />}
      </div>

      <h2>{category ? t('groupsOf', { category: category.name }) : t('groups')}</h2>
      {category === null ? <p className="muted">{t('pickCategory')}</p> : (
        <div style={SPLIT}>
          <div className="table-wrap">
            <table data-testid="group-table">
              <thead>
                <tr><th>{t('name')}</th><th>{t('description')}</th><th className="num">{t('sortOrder')}</th><th className="num">{t('productCount')}</th><th>{t('actions')}</th></tr>
              </thead>
              <tbody>
                {groups.map((row) => (
                  <tr key={row.id} data-testid={`group-${row.name}`}>
                    <td>{row.name}</td>
                    <td>{row.description}</td>
                    <td className="num">{row.sortOrder}</td>
                    <td className="num">{row.productCount}</td>
                    <td>
                      <button type="button" onClick={() => setEditingGroup(row)}>{t('edit')}</button>{' '}
                      <ConfirmButton onConfirm={() => act(api.groups.deleteProductGroup({ id: row.id }), t('deleted', { name: row.name }))}>{t('delete')}</ConfirmButton>
                    </td>
                  </tr>
                ))}
                {groups.length === 0 && <tr><td colSpan={5} className="muted">{t('noRows', { ns: 'common' })}</td></tr>}
              </tbody>
            </table>
          </div>
          {editingGroup
            ? <NamedForm key={`edit-${editingGroup.id}`} testId="group-form" title={t('editGroup')} submitLabel={t('save', { ns: 'common' })}
                initial={{ name: editingGroup.name, description: editingGroup.description, sortOrder: String(editingGroup.sortOrder) }}
                onCancel={() => setEditingGroup(null)}
                onSubmit={async (values) => {
                  await api.groups.updateProductGroup({ id: editingGroup.id, name: values.name, description: values.description, sortOrder: Math.max(0, sortOrderOf(values.sortOrder)) });
                  setEditingGroup(null);
                  setNotice(t('saved', { name: values.name.trim() }));
                  reload();
                }} />
            : <NamedForm key={`new-group-${category.id}`} testId="group-form" title={t('newGroup', { category: category.name })} submitLabel={t('createGroup')} initial={EMPTY}
                onSubmit={async (values) => {
                  const answer = await api.groups.createProductGroup({ name: values.name, description: values.description, sortOrder: Math.max(0, sortOrderOf(values.sortOrder)), categoryId: category.id });
                  setNotice(t('created', { name: answer.group?.name ?? values.name }));
                  reload();
                }} />}
        </div>
      )}
    </div>
  );
}
