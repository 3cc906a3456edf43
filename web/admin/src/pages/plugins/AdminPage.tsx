/**
 * A plugin's own admin page (GetPluginAdminPage). Its HTML comes from a plugin script and is
 * untrusted: it is shown in an iframe through `srcDoc` with `sandbox="allow-scripts"` only — no
 * `allow-same-origin`, so it runs in an opaque origin and can reach neither this console's DOM,
 * cookies and storage nor the API with the admin's session; no forms, popups or top navigation.
 */
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import type { GetPluginAdminPageResponse } from '../../../../../src/gen/rustbill/integration_pb.ts';
import { api, problemOf } from '../../api.ts';

export default function AdminPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('plugins');
  const [page, setPage] = useState<GetPluginAdminPageResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.integration.getPluginAdminPage({ interfaceId: id }).then(setPage, (failure: unknown) => setError(problemOf(failure).message));
  }, [id]);
  return (
    <section>
      <p><Link to={`/plugins/interfaces/${id}`}>{t('back')}</Link></p>
      {error && <div className="error" role="alert">{error}</div>}
      {page && (
        <>
          <h1>{t('adminPageTitle', { title: page.title })}</h1>
          <p className="muted">{t('adminPageNote')}</p>
          <iframe className="plugin-admin-page" title={page.title} sandbox="allow-scripts" referrerPolicy="no-referrer" srcDoc={page.htmlContent} data-testid="plugin-admin-page" />
        </>
      )}
      {!page && !error && <p className="muted">…</p>}
    </section>
  );
}
