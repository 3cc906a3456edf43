/**
 * The Settings screen (`/settings`): the profile (IdentityService/GetMe, as the session holds
 * it), the display language (i18n.ts setLanguage, remembered in this browser), and the password
 * (IdentityService/ChangePassword { old_password, new_password }; the repeat is checked here, the
 * server's refusals — wrong current password, weak or unchanged new one — show beside their field).
 * The server ends the customer's other token families and keeps this one (src/application/
 * identity/accounts.ts changePassword), so the customer stays signed in here.
 */
import { Code } from '@connectrpc/connect';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, problemOf, type ApiProblem } from '../../api.ts';
import { useFriendly } from '../../friendly.ts';
import { setLanguage } from '../../i18n.ts';
import { useSession } from '../../session.tsx';
import { Notice, PageTitle } from '../../ui/page.tsx';
import { Field, FormProblem } from '../../../../shared/form.tsx';
import { Time } from '../../../../shared/format.tsx';
import './settings.css';

const PASSWORD_FIELDS = ['old_password', 'new_password', 'repeat'] as const;

/** The `/settings` screen. */
export function SettingsScreen() {
  const { t, i18n } = useTranslation('settings');
  const { user } = useSession();
  return (
    <section className="settings-screen">
      <PageTitle>{t('title')}</PageTitle>
      <div className="settings-grid">
        <div className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">{t('profile')}</h2>
          {user && (
            <dl className="facts" data-testid="profile">
              <dt>{t('username')}</dt><dd data-testid="profile-username">{user.username}</dd>
              <dt>{t('displayName')}</dt><dd>{user.displayName || '—'}</dd>
              <dt>{t('email')}</dt><dd>{user.email || '—'}</dd>
              <dt>{t('customerId')}</dt><dd><code data-testid="profile-customer-id">{user.customerId}</code></dd>
              <dt>{t('memberSince')}</dt><dd><Time value={user.createdAt} /></dd>
            </dl>
          )}
        </div>
        <div className="panel" aria-labelledby="language-title">
          <h2 id="language-title">{t('languageTitle')}</h2>
          <label className="field"><span>{t('languageLabel')}</span>
            <select name="language" value={i18n.language === 'zh' ? 'zh' : 'en'} onChange={(event) => setLanguage(event.target.value === 'zh' ? 'zh' : 'en')}>
              <option value="en">English</option>
              <option value="zh">中文</option>
            </select>
          </label>
          <p className="hint">{t('languageHint')}</p>
        </div>
        <div className="panel password-panel" aria-labelledby="password-title">
          <h2 id="password-title">{t('passwordTitle')}</h2>
          <PasswordForm />
        </div>
      </div>
    </section>
  );
}

/** Current, new and repeated password; a notice after the change. */
function PasswordForm() {
  const { t } = useTranslation('settings');
  const friendly = useFriendly();
  const [current, setCurrent] = useState('');
  const [fresh, setFresh] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const local = (field: string, message: string): ApiProblem => ({ code: Code.InvalidArgument, message, field });
  /** The server's refusal, in the UI's words where it is one of the known ones, beside its field. */
  const refusal = (failure: unknown): ApiProblem => {
    const raw = problemOf(failure);
    if (raw.code === Code.InvalidArgument) {
      if (/current password is wrong/i.test(raw.message) || raw.field === 'old_password') return local('old_password', /wrong/i.test(raw.message) ? t('wrongCurrent') : t('required'));
      if (/must differ/i.test(raw.message)) return local('new_password', t('sameAsOld'));
      if (raw.field === 'password' || raw.field === 'new_password') return local('new_password', t('weak'));
    }
    return friendly(failure);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (current === '') { setProblem(local('old_password', t('required'))); return; }
    if (fresh === '') { setProblem(local('new_password', t('required'))); return; }
    if (repeat !== fresh) { setProblem(local('repeat', t('mismatch'))); return; }
    setProblem(null);
    setBusy(true);
    api.identity.changePassword({ oldPassword: current, newPassword: fresh }).then(() => {
      setCurrent('');
      setFresh('');
      setRepeat('');
      setDone(true);
    }, (failure: unknown) => setProblem(refusal(failure))).finally(() => setBusy(false));
  };
  return (
    <form onSubmit={submit} noValidate>
      {done && <Notice><span data-testid="password-changed">{t('changed')}</span></Notice>}
      <FormProblem problem={problem} fields={PASSWORD_FIELDS} />
      <Field label={t('currentPassword')} name="old_password" problem={problem}>
        <input type="password" name="old_password" autoComplete="current-password" value={current} onChange={(event) => setCurrent(event.target.value)} />
      </Field>
      <Field label={t('newPassword')} name="new_password" problem={problem}>
        <input type="password" name="new_password" autoComplete="new-password" value={fresh} onChange={(event) => setFresh(event.target.value)} />
      </Field>
      {problem?.field !== 'new_password' && <p className="hint">{t('passwordHint')}</p>}
      <Field label={t('repeatPassword')} name="repeat" problem={problem}>
        <input type="password" name="repeat" autoComplete="new-password" value={repeat} onChange={(event) => setRepeat(event.target.value)} />
      </Field>
      <button type="submit" className="primary" disabled={busy}>{busy ? t('changing') : t('change')}</button>
    </form>
  );
}
