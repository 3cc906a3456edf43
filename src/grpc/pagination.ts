import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PageMetaSchema } from '../gen/rustbill/common_pb.ts';
import type { Page } from '../domain/pagination.ts';

export { resolvePage, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../domain/pagination.ts';

/** `PageMeta` for a page of a result with `total` rows. */
export function pageMeta(page: Page, total: number): MessageInitShape<typeof PageMetaSchema> {
  return { total: BigInt(total), page: page.page, pageSize: page.pageSize, totalPages: Math.ceil(total / page.pageSize) };
}
