/**
 * Creating and editing a plugin interface: display name and a configuration form generated from the
 * plugin's `config_schema` (schema-form.tsx); for admins also the interface's script
 * (`script_source`, hidden from operators, whom the server refuses it).
 *
 * A new interface's form comes from the definition's own `config_schema` (PluginDef, read by the
 * server from the definition script), so even a definition's first interface is created in one
 * step with its whole configuration; a refused create stores nothing and shows the server's words
 * beside the field they name.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import type { PluginDef, PluginInterfaceInfo } from '../../../../../src/gen/rustbill/integration_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { buildConfig, ConfigFields, configFieldNames, fieldsOf, formProblem, initialValues, parseObject, type FormValues, type JsonObject } from './schema-form.tsx';

/** The form of a new interface of the definition `:defId`, its fields from the definition's `config_schema`. */
export function CreateInterface() {
  const { t } = useTranslation('plugins');
  const { defId = '' } = useParams();
  const [plugin, setPlugin] = useState<PluginDef | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.integration.getPlugin({ id: defId }).then((answer) => {
      if (!live) return;
      if (answer.plugin) setPlugin(answer.plugin);
      else setError(t('notFoundDef', { id: defId }));
    }, (failure: unknown) => { if (live) setError(problemOf(failure).message); });
    return () => { live = false; };
  }, [defId, t]);
  if (error) return <section><div className="error" role="alert">{error}</div><Link to="/plugins">{t('back')}</Link></section>;
  if (!plugin) return <p className="muted">…</p>;
  return <InterfaceEditor key={plugin.id} mode={{ kind: 'create', plugin }} />;
}

/** The edit form of the interface `:id`. */
export function EditInterface() {
  const { id = '' } = useParams();
  const { t } = useTranslation('plugins');
  const [row, setRow] = useState<PluginInterfaceInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.integration.getPluginInterface({ interfaceId: id }).then((answer) => setRow(answer.interface ?? null), (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  if (error) return <section><div className="error" role="alert">{error}</div><Link to="/plugins">{t('back')}</Link></section>;
  if (!row) return <p className="muted">…</p>;
  return <InterfaceEditor key={row.id} mode={{ kind: 'edit', row }} />;
}

type Mode = { kind: 'create'; plugin: PluginDef } | { kind: 'edit'; row: PluginInterfaceInfo };

function InterfaceEditor({ mode }: { mode: Mode }) {
  const { t } = useTranslation('plugins');
  const { t: common } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const schemaText = mode.kind === 'create' ? mode.plugin.configSchema ?? '' : mode.row.configSchema;
  const fields = useMemo(() => fieldsOf(schemaText), [schemaText]);
  const stored: JsonObject | null = mode.kind === 'edit' ? parseObject(mode.row.configJson) : null;
  const [displayName, setDisplayName] = useState(mode.kind === 'edit' ? mode.row.displayName : '');
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, stored));
  const [script, setScript] = useState(mode.kind === 'edit' ? mode.row.scriptSource ?? '' : '');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const pluginName = mode.kind === 'create' ? `${mode.plugin.pluginType}/${mode.plugin.pluginId}` : `${mode.row.pluginType}/${mode.row.pluginId}`;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const built = buildConfig(fields, values, stored, (field, message) => t('invalidJson', { field, message }));
    if ('problem' in built) {
      setProblem({ code: 3, message: built.problem.message, field: `config.${built.problem.field}` });
      return;
    }
    setBusy(true);
    const configJson = JSON.stringify(built.config);
    const call = mode.kind === 'create'
      ? api.integration.createPluginInterface({ pluginDefId: mode.plugin.id, displayName, configJson }).then((answer) => {
          const id = answer.interface?.id ?? '';
          void navigate(`/plugins/interfaces/${id}`, { state: { notice: t('created') } });
        })
      : api.integration.updatePluginInterface({
          interfaceId: mode.row.id,
          configJson,
          ...(displayName !== mode.row.displayName ? { displayName } : {}),
          ...(session.isAdmin && script !== (mode.row.scriptSource ?? '') ? { scriptSource: script } : {}),
        }).then(() => { void navigate(`/plugins/interfaces/${mode.row.id}`, { state: { notice: t('saved') } }); });
    call.catch((failure: unknown) => setProblem(formProblem(problemOf(failure)))).finally(() => setBusy(false));
  };

  return (
    <section>
      <p><Link to={mode.kind === 'edit' ? `/plugins/interfaces/${mode.row.id}` : '/plugins'}>{t('back')}</Link></p>
      <h1>{mode.kind === 'create' ? t('newTitle', { plugin: pluginName }) : t('editTitle', { name: mode.row.displayName })}</h1>
      <form className="form plugin-form" onSubmit={submit} noValidate data-testid="interface-form">
        <FormProblem problem={problem} fields={['display_name', 'script_source', ...configFieldNames(fields)]} />
        <Field label={t('displayName')} name="display_name" problem={problem}>
          <input name="display_name" value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
        </Field>
        <fieldset>
          <legend>{t('config')}</legend>
          <ConfigFields fields={fields} values={values} stored={stored} problem={problem}
            onChange={(name, value) => setValues((current) => ({ ...current, [name]: value }))} />
        </fieldset>
        {mode.kind === 'edit' && (session.isAdmin ? (
          <Field label={t('script')} name="script_source" problem={problem}>
            <textarea name="script_source" className="code" rows={16} spellCheck={false} value={script} onChange={(event) => setScript(event.target.value)} />
            <small className="muted">{t('scriptHint')}</small>
          </Field>
        ) : <p className="muted">{t('scriptOperator')}</p>)}
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy}>{mode.kind === 'create' ? t('create') : common('save')}</button>
          <Link to={mode.kind === 'edit' ? `/plugins/interfaces/${mode.row.id}` : '/plugins'}>{common('cancel')}</Link>
        </div>
      </form>
    </section>
  );
}
