import type { CrmApplication } from '../../application/crm/index.ts';
import { invalid, refused } from '../../domain/errors.ts';
import { CustomerService } from '../../gen/rustbill/customer_pb.ts';
import { optionalUuidField, uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { creditRiskDetail, distributionEntries, importResponse, queryOf, rfmDetail } from './customer-mapping.ts';

/** ListVipCustomers' largest limit. */
const MAX_VIP_LIMIT = 100;

/**
 * CustomerService's CRM reports, files and scores (crm-customer-controller.md 5.x, 6.x, 7.x):
 * validates, calls one application service method, maps the answer. The customer RPCs and the
 * CRM commands are in customer.ts.
 */
export function customerCrmHandlers(crm: CrmApplication): ServiceHandlers<typeof CustomerService> {
  return {
    async getCustomerStatistics(request) {
      const { record, totalProducts, topProducts, score } = await crm.reports.statistics(uuidField('id', request.id));
      const { view, figures, customer } = record;
      return {
        customerId: customer.id,
        totalOrders: figures.totalOrders,
        paidOrders: figures.paidOrders,
        totalRevenue: figures.totalRevenue,
        avgOrderAmount: view.avgOrderAmount,
        firstOrderAt: figures.firstOrderAt ?? '',
        lastOrderAt: figures.lastOrderAt ?? '',
        daysSinceFirstOrder: view.daysSinceFirstOrder ?? 0,
        orderFrequency: view.orderFrequency,
        totalProducts,
        topProducts,
        paymentStats: {
          payments: view.punctuality.payments, onTimePayments: view.punctuality.onTime, latePayments: view.punctuality.late,
          onTimePaymentRate: view.punctuality.onTimeRate ?? '', avgPaymentDays: figures.avgPaymentDays ?? '', maxOverdueDays: figures.maxOverdueDays,
          overdueInvoices: figures.overdueInvoices, overdueAmount: figures.overdueInvoiceAmount,
        },
        creditUtilisation: view.risk.utilisationPercent ?? '',
        customerLifetimeValue: view.customerLifetimeValue,
        rating: {
          stars: view.rating.stars, source: view.rating.source, notes: customer.ratingNotes, computedStars: record.computedStars ?? 0,
          score: score?.score ?? '', orderAmountScore: score?.subScores['orderAmount'] ?? '', onTimePaymentScore: score?.subScores['onTimePayment'] ?? '',
          orderFrequencyScore: score?.subScores['orderFrequency'] ?? '', relationshipAgeScore: score?.subScores['relationshipAge'] ?? '',
          computedAt: score?.computedAt ?? '',
        },
        creditRisk: creditRiskDetail(record),
        rfm: rfmDetail(record),
        balance: customer.balance,
        creditLimit: customer.creditLimit,
        availableCredit: view.availableCredit,
      };
    },

    async getPurchaseHistory(request) {
      const pagination = resolvePage(request.pagination);
      const { orders, total } = await crm.reports.purchaseHistory(uuidField('id', request.id), pagination);
      return { orders, meta: pageMeta(pagination, total) };
    },

    async getRatingDistribution() {
      const { entries, total } = await crm.reports.ratingDistribution();
      return { entries: distributionEntries(entries), total };
    },

    async getTypeDistribution() {
      const { entries, total } = await crm.reports.typeDistribution();
      return { entries: distributionEntries(entries), total };
    },

    async getIndustryDistribution() {
      const { entries, total } = await crm.reports.industryDistribution();
      return { entries: distributionEntries(entries), total };
    },

    async getRfmDistribution() {
      const { entries, total, computedAt } = await crm.reports.rfmDistribution();
      const rfm = crm.directory.crmPolicy.rfm;
      return {
        segments: distributionEntries(entries), total, computedAt,
        thresholds: {
          recencyHighMaxDays: rfm.recency.highMaxDays, recencyMediumMaxDays: rfm.recency.mediumMaxDays,
          frequencyHighMinOrders: rfm.frequency.highMinOrders, frequencyMediumMinOrders: rfm.frequency.mediumMinOrders,
          monetaryHighMin: rfm.monetary.highMin, monetaryMediumMin: rfm.monetary.mediumMin,
        },
      };
    },

    async getOverallStatistics() {
      const overall = await crm.reports.overall();
      return {
        totalCustomers: overall.totalCustomers, activeCustomers: overall.activeCustomers, inactiveCustomers: overall.inactiveCustomers,
        newCustomersThisMonth: overall.newCustomersThisMonth, deletedCustomers: overall.deletedCustomers,
        typeDistribution: distributionEntries(overall.typeDistribution), industryDistribution: distributionEntries(overall.industryDistribution),
        ratingDistribution: distributionEntries(overall.ratingDistribution), riskDistribution: distributionEntries(overall.riskDistribution),
        segmentDistribution: distributionEntries(overall.segmentDistribution), financialSummary: { ...overall.financial },
        vipCustomers: overall.vipCustomers, atRiskCustomers: overall.atRiskCustomers, scoresComputedAt: overall.scoresComputedAt,
      };
    },

    async listOutstandingBalances(request) {
      const pagination = resolvePage(request.pagination);
      const { customers, total } = await crm.reports.outstanding(pagination);
      return {
        meta: pageMeta(pagination, total),
        customers: customers.map(({ record, owed }) => ({
          customerId: record.customer.id, customerCode: record.customer.customerCode, name: record.customer.name, balance: record.customer.balance, owed,
          creditLimit: record.customer.creditLimit, overdueAmount: record.view.overdueAmount, overdueDays: record.view.overdueDays,
          lastPaymentAt: record.figures.lastPaymentAt ?? '', contactPerson: record.customer.contactPerson, phone: record.customer.phone,
          email: record.customer.email, riskLevel: record.view.risk.level,
        })),
      };
    },

    async listVipCustomers(request) {
      if (request.limit > MAX_VIP_LIMIT) throw invalid(`limit must be at most ${MAX_VIP_LIMIT}, got ${request.limit}`);
      const found = await crm.reports.vip(request.limit === 0 ? crm.vipDefaultLimit : request.limit);
      return {
        customers: found.map(({ record, reason }) => ({
          customerId: record.customer.id, customerCode: record.customer.customerCode, name: record.customer.name, rating: record.view.rating.stars,
          totalRevenue: record.figures.totalRevenue, totalOrders: record.figures.totalOrders, avgOrderAmount: record.view.avgOrderAmount,
          lastOrderAt: record.figures.lastOrderAt ?? '', reason, rfmSegment: record.view.rfm.segment,
        })),
      };
    },

    async checkCustomerCode(request) {
      return crm.directory.codeTaken(request.customerCode, optionalUuidField('exclude_id', request.excludeId));
    },

    async importCustomers(request, call) {
      if (request.file.length === 0) throw invalid('file is required: the bytes of an .xlsx file (GetImportTemplate gives the layout)');
      const started = await crm.imports.startXlsx(call, request.file, request.fileName);
      if (request.wait) await started.finished;
      return importResponse(request.wait ? await crm.imports.get(started.summary.id) : started.summary);
    },

    async importCustomersJson(request, call) {
      const started = await crm.imports.startJson(call, request.json);
      if (request.wait) await started.finished;
      return importResponse(request.wait ? await crm.imports.get(started.summary.id) : started.summary);
    },

    async getCustomerImport(request) {
      return importResponse(await crm.imports.get(uuidField('id', request.id)));
    },

    async exportCustomers(request) {
      const file = await crm.exports.export(queryOf(request));
      return { file: file.bytes, fileName: file.fileName, contentType: file.contentType, rows: file.rows };
    },

    async getImportTemplate() {
      const file = await crm.exports.template();
      return { file: file.bytes, fileName: file.fileName, contentType: file.contentType, rows: file.rows };
    },

    async recomputeCustomerScores(request) {
      const id = optionalUuidField('id', request.id);
      if (id !== undefined && (await crm.directory.get(id)).customer.deletedAt !== null) throw refused(`customer ${id} is deleted; deleted customers are not scored`);
      return crm.scores.recompute(id);
    },
  };
}
