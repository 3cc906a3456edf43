/**
 * The customer export and the import template as .xlsx files (crm-customer-controller.md 6.2,
 * 6.3): the filtered list — the same filters as ListCustomers, without pagination — one row per
 * customer with the importable columns first (so the file can be imported again unchanged) and
 * the computed ones after them. Files travel as bytes over gRPC and over HTTP on the same port
 * (src/grpc/crm-files-route.ts).
 */
import { invalid } from '../../domain/errors.ts';
import type { ExportRow } from '../../domain/crm/customer-sheet.ts';
import type { CustomerDirectory, CustomerQuery, CustomerRecord } from './customer-directory.ts';
import { writeCustomerSheet, writeImportTemplate } from './spreadsheet.ts';

/** The MIME type of .xlsx files. */
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A file to hand out. */
export interface CustomerFile {
  bytes: Buffer;
  fileName: string;
  contentType: string;
  /** Customer rows in it. */
  rows: number;
}

/** A file's language: headers and sheet names. */
export type FileLocale = 'en' | 'zh';

/** `20261206-143000` of `now` (UTC), for file names. */
function stamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** The export row of a customer: importable fields as stored, computed fields as shown. */
export function exportRowOf(record: CustomerRecord): ExportRow {
  const { customer, view, figures } = record;
  return {
    customerCode: customer.customerCode, name: customer.name, customerType: customer.customerType, industry: customer.industry,
    contactPerson: customer.contactPerson, phone: customer.phone, email: customer.email, company: customer.company, address: customer.address,
    creditLimit: customer.creditLimit, paymentTermsDays: customer.paymentTermsDays, taxNumber: customer.taxNumber,
    country: customer.country, region: customer.region, rating: customer.rating,
    ratingNotes: customer.ratingNotes, notes: customer.notes, isActive: customer.isActive,
    balance: customer.balance, availableCredit: view.availableCredit, totalOrders: figures.totalOrders, totalRevenue: figures.totalRevenue,
    lastOrderAt: figures.lastOrderAt, ratingInForce: view.rating.stars, riskLevel: view.risk.level, rfmSegment: view.rfm.segment, createdAt: customer.createdAt,
  };
}

/** See the file comment. */
export class CustomerExports {
  private readonly directory: CustomerDirectory;
  private readonly maxRows: number;
  private readonly now: () => Date;

  /** @param deps.maxRows the most customers one export holds (`[crm] import_max_rows`, so any export can be imported again) */
  constructor(deps: { directory: CustomerDirectory; maxRows: number; now?: () => Date }) {
    this.directory = deps.directory;
    this.maxRows = deps.maxRows;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * ExportCustomers: every customer matching `query`, by code.
   * @throws DomainError invalid_argument when more than `maxRows` customers match (narrow the filters)
   */
  async export(query: CustomerQuery, locale: FileLocale = 'en'): Promise<CustomerFile> {
    const { records, total } = await this.directory.list({ sortBy: 'customer_code', sortOrder: 'asc', ...query }, { page: 1, pageSize: this.maxRows, offset: 0 });
    if (total > this.maxRows) throw invalid(`${total} customers match; an export holds at most ${this.maxRows}: narrow the filters`);
    const bytes = await writeCustomerSheet(records.map(exportRowOf), { locale });
    return { bytes, fileName: `${locale === 'zh' ? '客户列表' : 'customers'}-${stamp(this.now())}.xlsx`, contentType: XLSX_CONTENT_TYPE, rows: records.length };
  }

  /** GetImportTemplate: headers, two example rows, drop-down lists and an instructions sheet. */
  async template(locale: FileLocale = 'en'): Promise<CustomerFile> {
    const bytes = await writeImportTemplate({ locale });
    return { bytes, fileName: locale === 'zh' ? '客户导入模板.xlsx' : 'customer-import-template.xlsx', contentType: XLSX_CONTENT_TYPE, rows: 2 };
  }
}
