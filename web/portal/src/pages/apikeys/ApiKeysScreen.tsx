/**
 * The API keys screen (`/api-keys`; README "API keys"): ApiKeyService/ListApiKeys (prefix, name,
 * created, last used, status; not revoked first), CreateApiKey { name } — the full key is in that
 * answer only, so it is shown once, with a Copy button and a warning — and RevokeApiKey after a
 * confirmation. A customer whose account may not manage keys (`can_create_api_keys` false: the
 * server answers PermissionDenied) is told to ask support instead of seeing the form.
 */
import { Code } from '@connectrpc/connect';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { ApiKeyInfo } from '../../../../../src/gen/rustbill/downstream_pb.ts';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { ConfirmDialog } from '../../ui/confirm.tsx';
import { ErrorBox, Loading, Notice, PageTitle, StatusBadge } from '../../ui/page.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Time } from '../../../../shared/format.tsx';
import '../balance/balance.css';
import './apikeys.css';

/** A created key, shown this once. */
interface FreshKey { name: string; apiKey: string }

/** The `/api-keys` screen. */
export function ApiKeysScreen() {
  const { t } = useTranslation('apikeys');
  const friendly = useFriendly();
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notAllowed, setNotAllowed] = useState(false);
  const [version, setVersion] = useState(0);
  const [fresh, setFresh] = useState<FreshKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyInfo | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeProblem, setRevokeProblem] = useState<string | null>(null);
  const [revokedName, setRevokedName] = useState<string | null>(null);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    let live = true;
    api.apiKeys.listApiKeys({ customerId: '' }).then((answer) => {
      if (!live) return;
      setKeys(answer.keys);
      setError(null);
      setNotAllowed(false);
    }, (failure: unknown) => {
      if (!live) return;
      if (problemOf(failure).code === Code.PermissionDenied) setNotAllowed(true);
      else setError(friendly(failure).message);
    });
    return () => { live = false; };
  }, [version, friendly]);

  const revoke = () => {
    if (!revoking) return;
    setRevokeBusy(true);
    setRevokeProblem(null);
    api.apiKeys.revokeApiKey({ id: revoking.id }).then(() => {
      setRevokedName(revoking.name);
      setRevoking(null);
      reload();
    }, (failure: unknown) => setRevokeProblem(friendly(failure).message)).finally(() => setRevokeBusy(false));
  };

  if (notAllowed) {
    return (
      <section>
        <PageTitle>{t('title')}</PageTitle>
        <div className="panel not-allowed" data-testid="api-keys-not-allowed">
          <h2>{t('notAllowedTitle')}</h2>
          <p>{t('notAllowed')}</p>
          <Link className="button primary" to="/tickets/new">{t('askSupport')}</Link>
        </div>
      </section>
    );
  }
  return (
    <section className="apikeys-screen">
      <PageTitle>{t('title')}</PageTitle>
      <p className="muted">{t('intro')}</p>
      {fresh && <FreshKeyPanel fresh={fresh} onDone={() => setFresh(null)} />}
      {revokedName !== null && <Notice>{t('revoked', { name: revokedName })}</Notice>}
      <ErrorBox message={error} onRetry={reload} />
      <div className="split">
        <div>
          <h2>{t('keys')}</h2>
          {keys === null ? (error === null && <Loading />) : <KeyTable keys={keys} onRevoke={(key) => { setRevokeProblem(null); setRevoking(key); }} />}
        </div>
        <aside className="panel" aria-labelledby="new-key-title">
          <h2 id="new-key-title">{t('newKey')}</h2>
          <CreateKeyForm onCreated={(created) => { setRevokedName(null); setFresh(created); reload(); }} onNotAllowed={() => setNotAllowed(true)} />
        </aside>
      </div>
      <ConfirmDialog open={revoking !== null} danger busy={revokeBusy} title={t('revokeTitle', { name: revoking?.name ?? '' })}
        confirmLabel={t('revoke')} onConfirm={revoke} onCancel={() => setRevoking(null)}>
        <p>{t('revokeText', { prefix: revoking?.keyPrefix ?? '' })}</p>
        <ErrorBox message={revokeProblem} />
      </ConfirmDialog>
    </section>
  );
}

/** The keys: a table that becomes cards on a phone. */
function KeyTable({ keys, onRevoke }: { keys: ApiKeyInfo[]; onRevoke(key: ApiKeyInfo): void }) {
  const { t } = useTranslation('apikeys');
  return (
    <div className="table-wrap" data-testid="api-keys">
      <table className="stack account-table">
        <thead><tr><th>{t('name')}</th><th>{t('prefix')}</th><th>{t('created')}</th><th>{t('lastUsed')}</th><th>{t('status')}</th><th>{t('actions')}</th></tr></thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} data-testid="api-key-row" data-id={key.id}>
              <td data-label={t('name')} className="key-name">{key.name}</td>
              <td data-label={t('prefix')}><code data-testid="api-key-prefix">{key.keyPrefix}…</code></td>
              <td data-label={t('created')}><Time value={key.createdAt} /></td>
              <td data-label={t('lastUsed')}>{key.lastUsedAt ? <Time value={key.lastUsedAt} /> : <span className="muted">{t('never')}</span>}</td>
              <td data-label={t('status')} data-testid="api-key-status"><StatusBadge status={key.enabled ? 'active' : 'revoked'} /></td>
              <td data-label={t('actions')}>
                {!key.enabled && <span className="muted">—</span>}
                {key.enabled && <button type="button" className="danger" aria-label={`${t('revoke')} ${key.name}`} onClick={() => onRevoke(key)}>{t('revoke')}</button>}
              </td>
            </tr>
          ))}
          {keys.length === 0 && <tr><td colSpan={6} className="muted">{t('noKeys')}</td></tr>}
        </tbody>
      </table>
    </div>
  );
}

/** The key's name; `onCreated` gets the full key (from this answer only). */
function CreateKeyForm({ onCreated, onNotAllowed }: { onCreated(fresh: FreshKey): void; onNotAllowed(): void }) {
  const { t } = useTranslation('apikeys');
  const friendly = useFriendly();
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === '') { setProblem({ code: Code.InvalidArgument, message: t('required'), field: 'name' }); return; }
    setProblem(null);
    setBusy(true);
    api.apiKeys.createApiKey({ name: name.trim(), customerId: '' }).then((answer) => {
      setName('');
      onCreated({ name: name.trim(), apiKey: answer.apiKey });
    }, (failure: unknown) => {
      if (problemOf(failure).code === Code.PermissionDenied) onNotAllowed();
      else setProblem(friendly(failure));
    }).finally(() => setBusy(false));
  };
  return (
    <form onSubmit={submit} noValidate>
      <FormProblem problem={problem} fields={['name']} />
      <Field label={t('name')} name="name" problem={problem}>
        <input name="name" maxLength={255} placeholder={t('namePlaceholder')} value={name} onChange={(event) => setName(event.target.value)} />
      </Field>
      <button type="submit" className="primary wide" disabled={busy}>{busy ? t('creating') : t('create')}</button>
    </form>
  );
}

/** The new key, once: the key, Copy, the warning, and "I have saved it" to put it away for good. */
function FreshKeyPanel({ fresh, onDone }: { fresh: FreshKey; onDone(): void }) {
  const { t } = useTranslation('apikeys');
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const ref = useRef<HTMLElement>(null);
  useEffect(() => { ref.current?.focus(); }, []);
  const copyKey = () => {
    navigator.clipboard.writeText(fresh.apiKey).then(() => setCopy('copied'), () => setCopy('failed'));
  };
  return (
    <section className="panel fresh-key" aria-labelledby="fresh-key-title" tabIndex={-1} ref={ref} data-testid="fresh-key">
      <h2 id="fresh-key-title">{t('createdTitle', { name: fresh.name })}</h2>
      <p className="warning" role="note">{t('createdWarning')}</p>
      <div className="key-line">
        <code className="full-key" data-testid="new-api-key" aria-label={t('keyLabel')}>{fresh.apiKey}</code>
        <button type="button" onClick={copyKey}>{copy === 'copied' ? t('copied') : t('copy')}</button>
      </div>
      {copy === 'copied' && <span className="sr-only" role="status">{t('copied')}</span>}
      {copy === 'failed' && <p className="error" role="alert">{t('copyFailed')}</p>}
      <button type="button" className="primary" onClick={onDone}>{t('done')}</button>
    </section>
  );
}
