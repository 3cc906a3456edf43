/** A screen not built yet: says so (the list of screens is worked through page by page). */
import { useTranslation } from 'react-i18next';

export function NotYet({ title }: { title: string }) {
  const { t } = useTranslation();
  return (
    <section>
      <h1>{t(title)}</h1>
      <p className="muted">This screen is not built yet; the API (grpcurl, README) does everything it will.</p>
    </section>
  );
}
