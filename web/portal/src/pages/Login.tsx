/**
 * Sign-in (IdentityService/Login as a customer): on success back to where the customer was going
 * (`?next=`), else the services. A wrong name or password reads as such, never as a status.
 */
import { Code } from '@connectrpc/connect';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useSearchParams } from 'react-router-dom';
import { useFriendly } from '../friendly.ts';
import { useSession } from '../session.tsx';
import { PageTitle } from '../ui/page.tsx';
import { problemOf } from '../api.ts';
import './auth-strings.ts';

/** Where to go after signing in: a path inside the portal only (never another site). */
export function safeNext(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') ? next : '/services';
}

export default function LoginPage() {
  const { t } = useTranslation('auth');
  const friendly = useFriendly();
  const session = useSession();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (session.user) return <Navigate to={safeNext(params.get('next'))} replace />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    session.login(username.trim(), password).catch((error: unknown) => {
      // The server gives one answer for an unknown name and a wrong password (InvalidArgument).
      const refused = problemOf(error);
      const wrong = refused.code === Code.Unauthenticated || (refused.code === Code.InvalidArgument && /wrong username or password/i.test(refused.message));
      setProblem(wrong ? t('badLogin') : friendly(error).message);
    }).finally(() => setBusy(false));
  };
  return (
    <section className="narrow">
      <PageTitle>{t('signInTitle')}</PageTitle>
      <form className="form" onSubmit={submit}>
        <label className="field"><span>{t('username')}</span>
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field"><span>{t('password')}</span>
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {problem && <div className="error" role="alert">{problem}</div>}
        <button type="submit" className="primary wide" disabled={busy}>{busy ? t('signingIn') : t('signIn')}</button>
      </form>
      <p>{t('noAccount')} <Link to={`/register${params.get('next') ? `?next=${encodeURIComponent(params.get('next') ?? '')}` : ''}`}>{t('createOne')}</Link></p>
    </section>
  );
}
