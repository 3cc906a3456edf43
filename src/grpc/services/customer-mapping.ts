/**
 * CustomerService's protobuf ↔ domain mapping, one place per type: CustomerInfo of a customer
 * record, the list filters of a request, the CRM's detail messages. Handlers only call these.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CustomerQuery, CustomerRecord, SortKey } from '../../application/crm/customer-directory.ts';
import { SORT_KEYS } from '../../application/crm/customer-directory.ts';
import type { ImportSummary } from '../../application/crm/customer-import.ts';
import type { DistributionEntry } from '../../application/crm/customer-reports.ts';
import { RISK_LEVELS, type RiskLevel } from '../../domain/crm/credit-risk.ts';
import { parseCustomerType, parseIndustry } from '../../domain/crm/profile.ts';
import { parseStars } from '../../domain/crm/rating.ts';
import { RFM_SEGMENTS, SEGMENT_ACTIONS, type RfmSegment } from '../../domain/crm/rfm.ts';
import type {
  CreditRiskDetailSchema, CustomerImportResponseSchema, CustomerInfoSchema, DistributionEntrySchema, RfmDetailSchema,
} from '../../gen/rustbill/customer_pb.ts';
import { oneOf } from '../fields.ts';

/** `CustomerInfo` of a customer and its CRM fields. */
export function customerInfo(record: CustomerRecord): MessageInitShape<typeof CustomerInfoSchema> {
  const { customer, view, figures } = record;
  return {
    id: customer.id,
    name: customer.name,
    contactPerson: customer.contactPerson,
    email: customer.email,
    phone: customer.phone,
    company: customer.company,
    notes: customer.notes,
    balance: customer.balance,
    creditLimit: customer.creditLimit,
    isActive: customer.isActive,
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
    canCreateApiKeys: customer.canCreateApiKeys,
    customerCode: customer.customerCode,
    customerType: customer.customerType,
    industry: customer.industry,
    address: customer.address,
    ...(customer.paymentTermsDays !== null ? { paymentTermsDays: customer.paymentTermsDays } : {}),
    taxNumber: customer.taxNumber,
    country: customer.country,
    region: customer.region,
    rating: view.rating.stars,
    ratingNotes: customer.ratingNotes,
    ratingSource: view.rating.source,
    availableCredit: view.availableCredit,
    totalOrders: figures.totalOrders,
    totalRevenue: figures.totalRevenue,
    lastOrderAt: figures.lastOrderAt ?? '',
    isOverdue: view.isOverdue,
    overdueDays: view.overdueDays,
    customerLifetimeValue: view.customerLifetimeValue,
    riskLevel: view.risk.level,
    riskReasons: view.risk.reasons,
    rfmSegment: view.rfm.segment,
    deletedAt: customer.deletedAt ?? '',
  };
}

/** `CreditRiskDetail` of a record. */
export function creditRiskDetail(record: CustomerRecord): MessageInitShape<typeof CreditRiskDetailSchema> {
  const risk = record.view.risk;
  return {
    level: risk.level, reasons: risk.reasons, factors: risk.factors.map((factor) => ({ ...factor })), utilisationPercent: risk.utilisationPercent ?? '',
    refusesNewOrders: risk.refusesNewOrders,
  };
}

/** `RfmDetail` of a record. */
export function rfmDetail(record: CustomerRecord): MessageInitShape<typeof RfmDetailSchema> {
  const rfm = record.view.rfm;
  return {
    recency: rfm.recency, frequency: rfm.frequency, monetary: rfm.monetary, segment: rfm.segment,
    ...(rfm.daysSinceLastPaidOrder !== null ? { daysSinceLastPaidOrder: rfm.daysSinceLastPaidOrder } : {}),
    paidOrders: record.figures.paidOrders, paidTotal: record.figures.paidOrderTotal, action: SEGMENT_ACTIONS[rfm.segment],
  };
}

/** `DistributionEntry` list. */
export function distributionEntries(entries: readonly DistributionEntry[]): Array<MessageInitShape<typeof DistributionEntrySchema>> {
  return entries.map((entry) => ({ key: entry.key, count: entry.count }));
}

/** `CustomerImportResponse` of an import. */
export function importResponse(summary: ImportSummary): MessageInitShape<typeof CustomerImportResponseSchema> {
  return {
    id: summary.id, status: summary.status, source: summary.source, fileName: summary.fileName, totalRows: summary.totalRows,
    processedRows: summary.processedRows, created: summary.created, updated: summary.updated, unchanged: summary.unchanged, failed: summary.failed,
    rows: summary.rows.map((row) => ({ ...row })), error: summary.error, createdAt: summary.createdAt, finishedAt: summary.finishedAt,
  };
}

/** The list filters as requests spell them (ListCustomersRequest, ExportCustomersRequest; the HTTP export's query string). */
export interface FilterFields {
  isActive?: boolean | undefined;
  search?: string | undefined;
  customerType?: string | undefined;
  industry?: string | undefined;
  rating?: number | undefined;
  riskLevel?: string | undefined;
  rfmSegment?: string | undefined;
  includeDeleted?: boolean | undefined;
  sortBy?: string | undefined;
  sortOrder?: string | undefined;
}

/**
 * The domain query of a request's filters; unset and empty fields filter nothing.
 * @throws DomainError invalid_argument naming the field
 */
export function queryOf(fields: FilterFields): CustomerQuery {
  const query: CustomerQuery = {};
  if (fields.isActive !== undefined) query.isActive = fields.isActive;
  const search = fields.search?.trim();
  if (search) query.search = search;
  if (fields.customerType !== undefined && fields.customerType.trim() !== '') query.customerType = parseCustomerType(fields.customerType);
  if (fields.industry !== undefined && fields.industry.trim() !== '') query.industry = parseIndustry(fields.industry);
  if (fields.rating !== undefined && fields.rating !== 0) query.rating = parseStars('rating', fields.rating);
  const risk = oneOf<RiskLevel>('risk_level', fields.riskLevel, RISK_LEVELS);
  if (risk !== undefined) query.riskLevel = risk;
  const segment = oneOf<RfmSegment>('rfm_segment', fields.rfmSegment, RFM_SEGMENTS);
  if (segment !== undefined) query.rfmSegment = segment;
  if (fields.includeDeleted === true) query.includeDeleted = true;
  const sortBy = oneOf<SortKey>('sort_by', fields.sortBy, SORT_KEYS);
  if (sortBy !== undefined) query.sortBy = sortBy;
  const sortOrder = oneOf<'asc' | 'desc'>('sort_order', fields.sortOrder?.toLowerCase(), ['asc', 'desc']);
  if (sortOrder !== undefined) query.sortOrder = sortOrder;
  return query;
}
