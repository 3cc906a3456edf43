/**
 * Excel import: the chosen .xlsx goes to `POST /crm/customers/import` (multipart, the admin session
 * cookie; src/grpc/crm-files-route.ts), which answers at once with the import's id; the panel then
 * polls GetCustomerImport, showing a progress bar of processed / total rows, and every row's result
 * once it finished. A file the server refuses whole shows the server's words. The template links
 * download the server's import template.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { CustomerImportResponse } from '../../../../../src/gen/rustbill/customer_pb.ts';
import { api, problemOf } from '../../api.ts';
import { NS } from './strings.ts';

/** The file routes' prefix (on the server's origin, beside the gRPC-Web endpoint). */
export const CRM_FILES = '/crm/customers';
const POLL_MS = 500;
const ROWS_PER_PAGE = 50;

/** The id of the import the route started, or the server's refusal as an Error. */
async function startImport(file: File): Promise<string> {
  const body = new FormData();
  body.append('file', file, file.name);
  const response = await fetch(`${CRM_FILES}/import`, { method: 'POST', body, credentials: 'same-origin' });
  const text = await response.text();
  let answer: unknown = null;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new Error(text || `${response.status} ${response.statusText}`);
  }
  if (!response.ok) {
    const message = typeof answer === 'object' && answer !== null && 'error' in answer ? (answer as { error: { message?: unknown } }).error.message : undefined;
    throw new Error(typeof message === 'string' ? message : `${response.status} ${response.statusText}`);
  }
  const id = typeof answer === 'object' && answer !== null && 'id' in answer ? (answer as { id: unknown }).id : undefined;
  if (typeof id !== 'string') throw new Error('the server did not name the import');
  return id;
}

const RESULT_BADGE: Record<string, string> = { created: 'green', updated: 'yellow', unchanged: '', error: 'red' };

/** The panel; `onFinished` is called once an import finished (the list reloads). */
export function ImportPanel({ onFinished }: { onFinished(): void }) {
  const { t, i18n } = useTranslation(NS);
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<CustomerImportResponse | null>(null);
  const [onlyErrors, setOnlyErrors] = useState(false);
  const [page, setPage] = useState(1);
  const live = useRef(true);
  useEffect(() => () => { live.current = false; }, []);

  const poll = async (id: string) => {
    for (;;) {
      const answer = await api.customers.getCustomerImport({ id });
      if (!live.current) return;
      setProgress(answer);
      if (answer.status !== 'running') return;
      await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      setError(t('noFile'));
      return;
    }
    setBusy(true);
    setError(null);
    setProgress(null);
    setPage(1);
    startImport(file)
      .then((id) => poll(id))
      .then(() => { if (live.current) onFinished(); }, (failure: unknown) => { if (live.current) setError(problemOf(failure).message); })
      .finally(() => { if (live.current) setBusy(false); });
  };

  const rows = (progress?.rows ?? []).filter((row) => !onlyErrors || row.result === 'error');
  const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_PAGE));
  const shown = rows.slice((page - 1) * ROWS_PER_PAGE, page * ROWS_PER_PAGE);
  const percent = progress && progress.totalRows > 0 ? Math.round((progress.processedRows / progress.totalRows) * 100) : progress?.status === 'running' ? 0 : 100;
  const locale = i18n.language === 'zh' ? 'zh' : 'en';

  return (
    <section className="form cu-form cu-wide cu-import-panel" data-testid="customer-import">
      <h2>{t('importTitle')}</h2>
      <div className="cu-files">
        <a href={`${CRM_FILES}/import-template.xlsx?locale=${locale}`} download data-testid="import-template">{t('template')}</a>
        {locale === 'en' && <a href={`${CRM_FILES}/import-template.xlsx?locale=zh`} download>{t('templateZh')}</a>}
      </div>
      <form className="toolbar" onSubmit={submit}>
        <label className="field">
          <span>{t('chooseFile')}</span>
          <input type="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
        </label>
        <button type="submit" className="primary" disabled={busy}>{busy && !progress ? t('uploading') : t('upload')}</button>
      </form>
      {error && <div className="error" role="alert">{error}</div>}
      {progress && (
        <div data-testid="import-progress" data-status={progress.status}>
          <div className="cu-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}><div style={{ width: `${percent}%` }} /></div>
          {progress.status === 'running'
            ? <p>{t('importRunning', { done: progress.processedRows, total: progress.totalRows })}</p>
            : <p className={progress.status === 'completed' && progress.failed === 0 ? 'ok' : 'error'} data-testid="import-summary">
                {t('importDone', { status: t(`status_${progress.status}`), created: progress.created, updated: progress.updated, unchanged: progress.unchanged, failed: progress.failed, total: progress.totalRows })}
                {progress.error ? ` ${progress.error}` : ''}
              </p>}
          {progress.status !== 'running' && progress.rows.length > 0 && (
            <>
              <label className="cu-check"><input type="checkbox" checked={onlyErrors} onChange={(event) => { setOnlyErrors(event.target.checked); setPage(1); }} />{t('onlyErrors')}</label>
              <div className="table-wrap" data-testid="import-rows">
                <table>
                  <thead><tr><th className="num">{t('row')}</th><th>{t('result')}</th><th>{t('code')}</th><th>{t('field')}</th><th>{t('message')}</th></tr></thead>
                  <tbody>
                    {shown.map((row) => (
                      <tr key={row.rowNumber} data-row={row.rowNumber} data-result={row.result}>
                        <td className="num">{row.rowNumber}</td>
                        <td><span className={`badge ${RESULT_BADGE[row.result] ?? ''}`}>{t(`result_${row.result}`)}</span></td>
                        <td>{row.customerId ? <Link to={`/customers/${row.customerId}`}>{row.customerCode}</Link> : row.customerCode}</td>
                        <td className="cu-mono">{row.field}</td>
                        <td style={{ whiteSpace: 'normal' }}>{row.message}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {pages > 1 && (
                  <div className="pager">
                    <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>{t('previous', { ns: 'common' })}</button>
                    <span>{t('page', { ns: 'common', page, pages, total: rows.length })}</span>
                    <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>{t('next', { ns: 'common' })}</button>
                  </div>
                )}
              </div>
            </>
          )}
        </div>
      )}
    </section>
  );
}
