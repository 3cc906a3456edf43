import type { CustomerCrm } from '../../application/crm/customer-crm.ts';
import type { CustomerQuery } from '../../application/crm/customer-directory.ts';
import type { CustomerChanges } from '../../domain/customers/customer.ts';
import { parseIndustry, parseManualRating, requireCustomerType } from '../../domain/crm/profile.ts';
import { invalid } from '../../domain/errors.ts';
import type { Page } from '../../domain/pagination.ts';
import { CustomerService, type UpdateCustomerRequest } from '../../gen/rustbill/customer_pb.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';
import { customerInfo, queryOf } from './customer-mapping.ts';

/** Header a client may send to make a change safe to retry: the same key returns the first outcome. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** Longest SearchCustomers keyword. */
const MAX_KEYWORD_CHARS = 100;

/** The fields an UpdateCustomerRequest sets (rating 0 clears the manual rating). */
function changesOf(request: UpdateCustomerRequest): CustomerChanges {
  const changes: CustomerChanges = {};
  if (request.name !== undefined) changes.name = request.name;
  if (request.contactPerson !== undefined) changes.contactPerson = request.contactPerson;
  if (request.email !== undefined) changes.email = request.email;
  if (request.phone !== undefined) changes.phone = request.phone;
  if (request.company !== undefined) changes.company = request.company;
  if (request.notes !== undefined) changes.notes = request.notes;
  if (request.creditLimit !== undefined) changes.creditLimit = request.creditLimit;
  if (request.isActive !== undefined) changes.isActive = request.isActive;
  if (request.canCreateApiKeys !== undefined) changes.canCreateApiKeys = request.canCreateApiKeys;
  if (request.customerCode !== undefined) changes.customerCode = request.customerCode;
  if (request.customerType !== undefined) changes.customerType = request.customerType;
  if (request.industry !== undefined) changes.industry = request.industry;
  if (request.address !== undefined) changes.address = request.address;
  if (request.paymentTermsDays !== undefined) changes.paymentTermsDays = request.paymentTermsDays;
  if (request.taxNumber !== undefined) changes.taxNumber = request.taxNumber;
  if (request.country !== undefined) changes.country = request.country;
  if (request.region !== undefined) changes.region = request.region;
  if (request.rating !== undefined) changes.rating = parseManualRating(request.rating);
  if (request.ratingNotes !== undefined) changes.ratingNotes = request.ratingNotes;
  return changes;
}

/**
 * CustomerService's RustBill RPCs (customer-service.md) and the CRM extension's queries and
 * commands (README "Customer relationship management"): validates, maps protobuf to the CRM
 * application service (src/application/crm/customer-crm.ts) and back. Every change goes through
 * the customer's actor there; reports, imports and exports are in customer-crm.ts.
 */
export function customerHandlers(crm: CustomerCrm): ServiceHandlers<typeof CustomerService> {
  const key = (call: { requestHeaders: Headers }): string | null => call.requestHeaders.get(IDEMPOTENCY_HEADER);
  const page = async (query: CustomerQuery, pagination: Page) => {
    const { records, total } = await crm.list(query, pagination);
    return { customers: records.map(customerInfo), meta: pageMeta(pagination, total) };
  };
  return {
    async createCustomer(request, call) {
      const created = await crm.create(call, {
        name: request.name, contactPerson: request.contactPerson, email: request.email, phone: request.phone, company: request.company,
        notes: request.notes, creditLimit: request.creditLimit, customerCode: request.customerCode, customerType: request.customerType,
        industry: request.industry, address: request.address, paymentTermsDays: request.paymentTermsDays ?? null, taxNumber: request.taxNumber,
        country: request.country, region: request.region,
        rating: request.rating ?? null, ratingNotes: request.ratingNotes,
      }, key(call));
      return { customer: customerInfo(created) };
    },

    async listCustomers(request) {
      return page(queryOf(request), resolvePage(request.pagination));
    },

    async getCustomer(request) {
      return { customer: customerInfo(await crm.get(uuidField('id', request.id))) };
    },

    async updateCustomer(request, call) {
      return { customer: customerInfo(await crm.update(call, uuidField('id', request.id), changesOf(request), key(call))) };
    },

    async deleteCustomer(request, call) {
      await crm.remove(call, uuidField('id', request.id), key(call));
      return {};
    },

    async listActiveCustomers(request) {
      return page({ isActive: true, sortBy: 'name', sortOrder: 'asc' }, resolvePage(request.pagination));
    },

    async searchCustomers(request) {
      const keyword = request.keyword.trim();
      if (keyword === '') throw invalid('keyword is required: part of a name, customer code, contact person or e-mail');
      if (keyword.length > MAX_KEYWORD_CHARS) throw invalid(`keyword must be at most ${MAX_KEYWORD_CHARS} characters, got ${keyword.length}`);
      return page({ keyword }, resolvePage(request.pagination));
    },

    async listCustomersByType(request) {
      return page({ customerType: requireCustomerType(request.customerType), sortBy: 'name', sortOrder: 'asc' }, resolvePage(request.pagination));
    },

    async listCustomersByIndustry(request) {
      const industry = parseIndustry(request.industry);
      if (industry === '') throw invalid('industry is required');
      return page({ industry, sortBy: 'name', sortOrder: 'asc' }, resolvePage(request.pagination));
    },

    async updateCustomerStatus(request, call) {
      return { customer: customerInfo(await crm.setActive(call, uuidField('id', request.id), request.isActive, key(call))) };
    },

    async updateCustomerRating(request, call) {
      const rating = parseManualRating(request.rating);
      return { customer: customerInfo(await crm.setRating(call, uuidField('id', request.id), rating, request.notes, key(call))) };
    },

    async updateCreditLimit(request, call) {
      return { customer: customerInfo(await crm.setCreditLimit(call, uuidField('id', request.id), request.creditLimit, key(call))) };
    },

    async updateCustomerBalance(request, call) {
      const { record, entry } = await crm.setBalance(call, uuidField('id', request.id), request.balance, request.description, key(call));
      return {
        customer: customerInfo(record),
        transactionId: entry?.id ?? '',
        amount: entry?.amount ?? '0.00',
        balanceBefore: entry?.balanceBefore ?? record.customer.balance,
        balanceAfter: entry?.balanceAfter ?? record.customer.balance,
      };
    },
  };
}
