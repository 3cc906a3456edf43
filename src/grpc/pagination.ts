import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PageMetaSchema, PageRequest } from '../gen/rustbill/common_pb.ts';
import { invalidArgument } from './errors.ts';

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
 * Resolves `PageRequest` (rustbill.common): page starts at 1 (0 means 1), page_size defaults to 20.
 * @throws ConnectError InvalidArgument when page_size exceeds 100
 */
export function resolvePage(request: PageRequest | undefined): Page {
  const page = Math.max(1, request?.page ?? 1);
  const size = request?.pageSize ?? 0;
  if (size > MAX_PAGE_SIZE) throw invalidArgument(`pagination.page_size must be at most ${MAX_PAGE_SIZE}, got ${size}`);
  const pageSize = size === 0 ? DEFAULT_PAGE_SIZE : size;
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** `PageMeta` for a page of a result with `total` rows. */
export function pageMeta(page: Page, total: number): MessageInitShape<typeof PageMetaSchema> {
  return { total: BigInt(total), page: page.page, pageSize: page.pageSize, totalPages: Math.ceil(total / page.pageSize) };
}
