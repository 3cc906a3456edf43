/** Small pieces every portal screen uses: a page heading, loading and error states, a status badge. */
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';

/** The screen's one `<h1>` (focus lands on it after navigation, for keyboard and screen-reader users). */
export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-title">
      <h1 tabIndex={-1}>{children}</h1>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** "Loading…" while a screen's first answer is on its way. */
export function Loading() {
  const { t } = useTranslation();
  return <p className="muted" role="status">{t('loading')}</p>;
}

/** A problem in words (never a status number), with an optional retry. */
export function ErrorBox({ message, onRetry }: { message: string | null; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (message === null) return null;
  return (
    <div className="error" role="alert">
      {message}
      {onRetry && <> <button type="button" className="link-button" onClick={onRetry}>{t('retry')}</button></>}
    </div>
  );
}

/** A success message (announced politely). */
export function Notice({ children }: { children: ReactNode }) {
  return <div className="ok" role="status">{children}</div>;
}

const TONE: Record<string, string> = {
  active: 'green', running: 'green', paid: 'green', success: 'green', resolved: 'green', issued: 'yellow',
  pending: 'yellow', provisioning: 'yellow', waiting_customer: 'yellow', in_progress: 'blue', open: 'blue', draft: 'grey',
  suspended: 'orange', overdue: 'orange', stopped: 'grey', partially_refunded: 'orange',
  cancelled: 'grey', completed: 'grey', closed: 'grey', refunded: 'grey', terminated: 'grey', revoked: 'grey',
  failed: 'red', error: 'red',
};

/** A status in the customer's words (`common:status.*`), coloured by what it means. */
export function StatusBadge({ status }: { status: string }) {
  const { t, i18n } = useTranslation();
  const key = `status.${status}`;
  return <span className={`badge ${TONE[status] ?? ''}`} data-status={status}>{i18n.exists(key) ? t(key) : status}</span>;
}

/** A billing cycle in words (`common:cycle.*`). */
export function CycleName({ cycle }: { cycle: string }) {
  const { t, i18n } = useTranslation();
  const key = `cycle.${cycle}`;
  return <>{i18n.exists(key) ? t(key) : cycle}</>;
}

/** An unknown path below a screen: says so, with the way back to the store. */
export function NotFound() {
  const { t } = useTranslation();
  return (
    <section>
      <PageTitle>{t('notFoundTitle')}</PageTitle>
      <p>{t('notFoundText')}</p>
      <Link to="/">{t('toStore')}</Link>
    </section>
  );
}
