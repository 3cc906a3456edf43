/**
 * Pagination of every List RPC (`rustbill.common.PageRequest`): pages start at 1 (0 means 1), the
 * page size defaults to 20 when the request says 0 or nothing, and may be at most 100. Pure.
 */
import { invalid } from './errors.ts';

/** Page size used when the request says 0 or nothing. */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 100;

/** A resolved page: 1-based `page`, `pageSize` rows, `offset` rows skipped. */
export interface Page {
  page: number;
  pageSize: number;
  offset: number;
}

/**
 * The page a request asks for.
 * @throws DomainError invalid_argument when `pageSize` exceeds {@link MAX_PAGE_SIZE}
 */
export function resolvePage(request: { page?: number; pageSize?: number } | undefined): Page {
  const page = Math.max(1, request?.page ?? 1);
  const size = request?.pageSize ?? 0;
  if (size > MAX_PAGE_SIZE) throw invalid(`pagination.page_size must be at most ${MAX_PAGE_SIZE}, got ${size}`);
  const pageSize = size === 0 ? DEFAULT_PAGE_SIZE : size;
  return { page, pageSize, offset: (page - 1) * pageSize };
}
