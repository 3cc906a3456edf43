/**
 * Registration with an e-mailed code (IdentityService/SendVerificationCode purpose
 * `registration`, then Register; handbook: 注册): step 1 the address, step 2 the code, name and
 * password. Then the customer is signed in and goes on where it was headed. The server's refusals
 * (a taken user name, a weak password, a wrong code) show beside the field they name.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import type { ApiProblem } from '../api.ts';
import { api } from '../api.ts';
import { useFriendly } from '../friendly.ts';
import { useSession } from '../session.tsx';
import { Field, FormProblem } from '../../../shared/form.tsx';
import { PageTitle } from '../ui/page.tsx';
import { safeNext } from './Login.tsx';
import './auth-strings.ts';

const FIELDS = ['username', 'email', 'display_name', 'password', 'verification_code'] as const;

export default function RegisterPage() {
  const { t } = useTranslation('auth');
  const friendly = useFriendly();
  const session = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [step, setStep] = useState<'email' | 'details'>('email');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const [wait, setWait] = useState(0);
  useEffect(() => {
    if (wait <= 0) return;
    const timer = window.setTimeout(() => setWait((secs) => secs - 1), 1000);
    return () => window.clearTimeout(timer);
  }, [wait]);
  if (session.user && !busy) return <Navigate to={safeNext(params.get('next'))} replace />;

  const sendCode = (event?: FormEvent) => {
    event?.preventDefault();
    setBusy(true);
    setProblem(null);
    api.identity.sendVerificationCode({ email: email.trim(), purpose: 'registration' }).then((answer) => {
      setStep('details');
      setWait(answer.retryAfterSecs);
    }, (error: unknown) => setProblem(friendly(error))).finally(() => setBusy(false));
  };
  const register = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const name = username.trim();
    api.identity.register({ username: name, email: email.trim(), displayName: displayName.trim(), password, verificationCode: code.trim() })
      .then(() => session.login(name, password))
      .then(() => navigate(safeNext(params.get('next')), { replace: true, state: { welcome: displayName.trim() || name } }))
      .catch((error: unknown) => setProblem(friendly(error)))
      .finally(() => setBusy(false));
  };

  return (
    <section className="narrow">
      <PageTitle>{t('registerTitle')}</PageTitle>
      {step === 'email'
        ? (
          <form className="form" onSubmit={sendCode} noValidate>
            <p className="muted">{t('stepEmail')}</p>
            <Field label={t('email')} name="email" problem={problem}>
              <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </Field>
            <FormProblem problem={problem} fields={FIELDS} />
            <button type="submit" className="primary wide" disabled={busy || email.trim() === ''}>{busy ? t('sending') : t('sendCode')}</button>
          </form>
        )
        : (
          <form className="form" onSubmit={register} noValidate>
            <p className="muted">{t('stepDetails')}</p>
            <p role="status">{t('codeSent', { email: email.trim() })}</p>
            <Field label={t('code')} name="verification_code" problem={problem}>
              <input name="verification_code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
            </Field>
            <Field label={t('username')} name="username" problem={problem}>
              <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
            </Field>
            <Field label={t('displayName')} name="display_name" problem={problem}>
              <input name="display_name" autoComplete="name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
            </Field>
            <Field label={t('newPassword')} name="password" problem={problem}>
              <input name="password" type="password" autoComplete="new-password" required aria-describedby="password-hint" value={password} onChange={(e) => setPassword(e.target.value)} />
            </Field>
            <p id="password-hint" className="hint">{t('passwordHint')}</p>
            <FormProblem problem={problem} fields={FIELDS} />
            <button type="submit" className="primary wide" disabled={busy}>{busy ? t('creating') : t('create')}</button>
            <div className="row-actions">
              <button type="button" className="link-button" disabled={busy || wait > 0} onClick={() => sendCode()}>{t('resend')}</button>
              {wait > 0 && <span className="muted">{t('resendIn', { secs: wait })}</span>}
              <button type="button" className="link-button" onClick={() => { setStep('email'); setProblem(null); }}>{t('changeEmail')}</button>
            </div>
          </form>
        )}
      <p>{t('haveAccount')} <Link to={`/login${params.get('next') ? `?next=${encodeURIComponent(params.get('next') ?? '')}` : ''}`}>{t('signIn')}</Link></p>
    </section>
  );
}
