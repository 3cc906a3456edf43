/**
 * Server-side lists: {@link useServerList} asks the server for one page with the filters and sort
 * the screen holds (never sorting or filtering in the browser), {@link DataTable} shows it with
 * paging. Money is shown as the server's decimal strings; times in the viewer's time zone. Shared by
 * the admin console and the customer portal.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { problemOf } from './problem.ts';

export interface PageQuery<F> {
  page: number;
  pageSize: number;
  filters: F;
  sortBy: string;
  sortDesc: boolean;
}

export interface ServerList<T, F> {
  rows: T[];
  total: number;
  query: PageQuery<F>;
  loading: boolean;
  error: string | null;
  setPage(page: number): void;
  setFilters(filters: F): void;
  sort(column: string): void;
  reload(): void;
}

/** One page of `load`, reloaded whenever the page, filters or sort change. */
export function useServerList<T, F>(
  load: (query: PageQuery<F>) => Promise<{ rows: T[]; total: number }>,
  initialFilters: F,
  pageSize = 20,
  /** How a failed load reads (default: the server's message; the portal passes its friendly words). */
  describe: (error: unknown) => string = (error) => problemOf(error).message,
): ServerList<T, F> {
  const [query, setQuery] = useState<PageQuery<F>>({ page: 1, pageSize, filters: initialFilters, sortBy: '', sortDesc: true });
  const [rows, setRows] = useState<T[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load(query).then(
      (answer) => { if (live) { setRows(answer.rows); setTotal(answer.total); setError(null); } },
      (failure: unknown) => { if (live) setError(describe(failure)); },
    ).finally(() => { if (live) setLoading(false); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, version]);
  return {
    rows, total, query, loading, error,
    setPage: useCallback((page: number) => setQuery((q) => ({ ...q, page })), []),
    setFilters: useCallback((filters: F) => setQuery((q) => ({ ...q, filters, page: 1 })), []),
    sort: useCallback((column: string) => setQuery((q) => ({ ...q, sortBy: column, sortDesc: q.sortBy === column ? !q.sortDesc : true, page: 1 })), []),
    reload: useCallback(() => setVersion((v) => v + 1), []),
  };
}

export interface Column<T> {
  key: string;
  title: ReactNode;
  render(row: T): ReactNode;
  /** The server's sort key, when the server can sort by this column. */
  sortKey?: string;
  numeric?: boolean;
}

/** A table of one server page, with paging below it. */
export function DataTable<T, F>({ list, columns, rowKey, testId }: { list: ServerList<T, F>; columns: Column<T>[]; rowKey(row: T): string; testId?: string }) {
  const { t } = useTranslation();
  return (
    <div className="table-wrap" data-testid={testId}>
      {list.error && <div className="error" role="alert">{list.error}</div>}
      <table>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.key} className={column.numeric ? 'num' : undefined}>
                {column.sortKey
                  ? <button type="button" className="link" onClick={() => list.sort(column.sortKey ?? column.key)}>
                      {column.title}{list.query.sortBy === column.sortKey ? (list.query.sortDesc ? ' ▼' : ' ▲') : ''}
                    </button>
                  : column.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {list.rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) => <td key={column.key} className={column.numeric ? 'num' : undefined}>{column.render(row)}</td>)}
            </tr>
          ))}
          {list.rows.length === 0 && !list.loading && <tr><td colSpan={columns.length} className="muted">{t('noRows')}</td></tr>}
        </tbody>
      </table>
      <Pager list={list} />
    </div>
  );
}

/** "Previous / Page x of y · n in all / Next" under one server page of `list` (words from `common`). */
export function Pager<T, F>({ list }: { list: ServerList<T, F> }) {
  const { t } = useTranslation();
  const pages = Math.max(1, Math.ceil(list.total / list.query.pageSize));
  return (
    <div className="pager">
      <button type="button" disabled={list.query.page <= 1} onClick={() => list.setPage(list.query.page - 1)}>{t('previous')}</button>
      <span>{t('page', { page: list.query.page, pages, total: list.total })}</span>
      <button type="button" disabled={list.query.page >= pages} onClick={() => list.setPage(list.query.page + 1)}>{t('next')}</button>
      {list.loading && <span className="muted"> {t('loading')}</span>}
    </div>
  );
}
