import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CustomerAccounts } from '../../application/customers/customer-accounts.ts';
import type { CustomerChanges, CustomerState } from '../../domain/customers/customer.ts';
import { CustomerService, type CustomerInfoSchema, type UpdateCustomerRequest } from '../../gen/rustbill/customer_pb.ts';
import { uuidField } from '../fields.ts';
import type { ServiceHandlers } from '../handlers.ts';
import { pageMeta, resolvePage } from '../pagination.ts';

/** Header a client may send to make a change safe to retry: the same key returns the first outcome. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** `CustomerInfo` of a customer. */
export function customerInfo(customer: CustomerState): MessageInitShape<typeof CustomerInfoSchema> {
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
  };
}

/** The fields an UpdateCustomerRequest sets. */
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
  return changes;
}

/**
 * CustomerService, all 5 RPCs (customer-service.md): maps protobuf to the customer application
 * service (src/application/customers), whose changes go through the customers' actors.
 */
export function customerHandlers(customers: CustomerAccounts): ServiceHandlers<typeof CustomerService> {
  return {
    async createCustomer(request, call) {
      const created = await customers.create(call, {
        name: request.name, contactPerson: request.contactPerson, email: request.email, phone: request.phone,
        company: request.company, notes: request.notes, creditLimit: request.creditLimit,
      }, call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { customer: customerInfo(created) };
    },

    async listCustomers(request) {
      const page = resolvePage(request.pagination);
      const search = request.search?.trim();
      const { customers: found, total } = await customers.list(
        { ...(request.isActive !== undefined ? { isActive: request.isActive } : {}), ...(search ? { search } : {}) },
        page,
      );
      return { customers: found.map(customerInfo), meta: pageMeta(page, total) };
    },

    async getCustomer(request) {
      return { customer: customerInfo(await customers.get(uuidField('id', request.id))) };
    },

    async updateCustomer(request, call) {
      const updated = await customers.update(call, uuidField('id', request.id), changesOf(request), call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return { customer: customerInfo(updated) };
    },

    async deleteCustomer(request, call) {
      await customers.remove(call, uuidField('id', request.id), call.requestHeaders.get(IDEMPOTENCY_HEADER));
      return {};
    },
  };
}
