/**
 * A customer's whole journey over gRPC-Web (issue 9), defined once and run by
 * test/server/customer-journey.test.ts (one node) and test/cluster/behind-one-address.test.ts
 * (three nodes behind one address, issue 15): everything the customer does goes through
 * plain `fetch` with `application/grpc-web+proto` frames (test/support/grpc-web-fetch.ts), as a
 * browser front-end would; the admin's side is native gRPC. Registration with an e-mailed code,
 * the catalog, a recharge through EPay, an order paid from the balance and provisioned on Incus, a
 * ticket with a public and an internal reply, the billing run and the invoice PDF, and finally an
 * API key used from a native gRPC client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MoneyBed } from './money-fixture.ts';
import { BalanceService } from '../../src/gen/rustbill/balance_pb.ts';
import { BillingService } from '../../src/gen/rustbill/billing_pb.ts';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { ApiKeyService } from '../../src/gen/rustbill/downstream_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { InstanceService } from '../../src/gen/rustbill/instance_pb.ts';
import { IntegrationService } from '../../src/gen/rustbill/integration_pb.ts';
import { OrderService } from '../../src/gen/rustbill/order_pb.ts';
import { ProductCategoryService } from '../../src/gen/rustbill/product_category_pb.ts';
import { ProductGroupService } from '../../src/gen/rustbill/product_group_pb.ts';
import { ProductService } from '../../src/gen/rustbill/product_pb.ts';
import { TicketService } from '../../src/gen/rustbill/ticket_pb.ts';
import { Code } from '@connectrpc/connect';
import { bearer, grpcClient } from '../support/clients.ts';
import { startSmtpServer, type SmtpCounterpart } from '../support/counterparts/smtp.ts';
import { expectCode } from '../support/expect-code.ts';
import { grpcWebFetch, type WebCall } from '../support/grpc-web-fetch.ts';
import { BALANCE, moneyInvariant, SPEC } from '../support/money-fixture.ts';
import { eventually } from '../support/eventually.ts';

/**
 * Defines the journey's suite in the calling test file.
 * @param options.title the suite's name
 * @param options.startBed starts the money bed the journey runs against (its `server.url` is where every call goes)
 * @param options.stopBed stops it (default `bed.stop()`)
 */
export function customerJourney(options: { title: string; startBed: () => Promise<MoneyBed>; stopBed?: (bed: MoneyBed) => Promise<void> }): void {
  let bed: MoneyBed;
  let smtp: SmtpCounterpart;
  let webCall: WebCall;
  const catalog = { categoryId: '', groupId: '' };

  /** What the customer learns along the way (the steps run in order). */
  const me = {
    username: 'journey',
    email: 'journey@example.com',
    password: 'Journey-Pass1',
    customerId: '',
    token: '',
    orderId: '',
    instanceId: '',
    ticketId: '',
    invoiceId: '',
  };

  const admin = {
    customers: () => grpcClient(CustomerService, bed.server.url, bearer(bed.adminToken)),
    tickets: () => grpcClient(TicketService, bed.server.url, bearer(bed.adminToken)),
    billing: () => grpcClient(BillingService, bed.server.url, bearer(bed.adminToken)),
  };

  /** The body of the first e-mail to the customer with `subject` (quoted-printable soft breaks joined), once it arrives. */
  async function mailTo(email: string, subject: string): Promise<string> {
    const mail = await eventually(async () => smtp.messages.find((message) => message.to.includes(email) && message.subject === subject), `the e-mail "${subject}"`);
    return mail.body.replace(/=\r?\n/g, '');
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    bed = await options.startBed();
    webCall = grpcWebFetch(bed.server.url);
    // The admin's setup, natively: an e-mail notifier for the registration codes, and a catalog
    // (category → group → the bed's product).
    const integration = grpcClient(IntegrationService, bed.server.url, bearer(bed.adminToken));
    const email = (await integration.listPlugins({ pluginType: 'notifier' })).plugins.find((plugin) => plugin.pluginId === 'email');
    if (!email) throw new Error('notifier-email was not scanned');
    const mail = await integration.createPluginInterface({
      pluginDefId: email.id,
      displayName: 'Customer mail',
      configJson: JSON.stringify({
        smtp_host: smtp.host, smtp_port: smtp.port, from: 'billing@nodebill.test', username: smtp.username, password: smtp.password, encryption: 'none',
      }),
    });
    await integration.togglePluginInterface({ interfaceId: mail.interface?.id ?? '', enable: true });
    const category = await grpcClient(ProductCategoryService, bed.server.url, bearer(bed.adminToken)).createProductCategory({
      name: 'Cloud servers', description: 'Virtual servers on Incus', sortOrder: 1,
    });
    catalog.categoryId = category.category?.id ?? '';
    const group = await grpcClient(ProductGroupService, bed.server.url, bearer(bed.adminToken)).createProductGroup({
      name: 'Local region', description: 'Next to you', sortOrder: 1, categoryId: catalog.categoryId,
    });
    catalog.groupId = group.group?.id ?? '';
    await bed.admin.products.updateProduct({ id: bed.productId, groupId: catalog.groupId });
  }, 180_000);

  afterAll(async () => {
    if (bed) await (options.stopBed ?? ((started: MoneyBed) => started.stop()))(bed);
    await smtp?.close();
  });

  describe(options.title, () => {
    it('registers with the code e-mailed to it and logs in', async () => {
      const sent = await webCall(IdentityService.method.sendVerificationCode, { email: me.email, purpose: 'registration' });
      expect(sent.sent).toBe(true);
      const mail = await eventually(async () => smtp.messages.find((message) => message.to.includes(me.email)), 'the verification e-mail');
      expect(mail.subject).toBe('Your verification code');
      const code = /\b(\d{6})\b/.exec(mail.body)?.[1] ?? '';
      expect(code).toMatch(/^\d{6}$/);

      // A wrong code is refused, with the status and message in the gRPC-Web answer.
      await expectCode(
        webCall(IdentityService.method.register, { username: me.username, email: me.email, displayName: 'Journey', password: me.password, verificationCode: code === '000000' ? '111111' : '000000' }),
        Code.InvalidArgument,
        /code/,
      );
      const registered = await webCall(IdentityService.method.register, {
        username: me.username, email: me.email, displayName: 'Journey', password: me.password, verificationCode: code,
      });
      expect(registered.customerId).not.toBe('');
      expect(registered.user).toMatchObject({ username: me.username, email: me.email, userType: 'customer', customerId: registered.customerId });
      me.customerId = registered.customerId;

      const login = await webCall(IdentityService.method.login, { username: me.username, password: me.password, userType: 'customer' });
      expect(login.accessToken).not.toBe('');
      me.token = login.accessToken;
      const who = await webCall(IdentityService.method.getMe, {}, me.token);
      expect(who.user).toMatchObject({ username: me.username, userType: 'customer', customerId: me.customerId });
      // Without the token the same call is refused, with the status in the gRPC-Web answer.
      await expectCode(webCall(IdentityService.method.getMe, {}), Code.Unauthenticated);
    });

    it('browses the catalog: the category, its group and the product in it', async () => {
      const categories = await webCall(ProductCategoryService.method.listProductCategories, { pagination: { page: 1, pageSize: 20 } }, me.token);
      expect(categories.categories.map((category) => [category.id, category.name, category.groupCount])).toEqual([[catalog.categoryId, 'Cloud servers', 1]]);
      const groups = await webCall(ProductGroupService.method.listProductGroups, { pagination: { page: 1, pageSize: 20 }, categoryId: catalog.categoryId }, me.token);
      expect(groups.groups.map((group) => [group.id, group.name, group.productCount])).toEqual([[catalog.groupId, 'Local region', 1]]);
      const products = await webCall(ProductService.method.listProducts, { pagination: { page: 1, pageSize: 20 }, groupId: catalog.groupId }, me.token);
      expect(products.products).toHaveLength(1);
      expect(products.products[0]).toMatchObject({ id: bed.productId, name: 'VPS Small', pricePerMonth: '20.00', interfaceId: bed.providerId, groupId: catalog.groupId });
      const product = await webCall(ProductService.method.getProduct, { id: bed.productId }, me.token);
      expect(product.product?.billingCycles).toMatchObject({ quarterly: '55.00' });
    });

    it('sees the ways to pay, the balance method first', async () => {
      const { gateways } = await webCall(IntegrationService.method.listGateways, {}, me.token);
      expect(gateways.map((gateway) => gateway.gatewayId)).toEqual([BALANCE, bed.gatewayId]);
      expect(gateways[0]).toMatchObject({ gatewayName: 'Balance', isHealthy: true });
      expect(gateways[1]?.gatewayName).toBe('Local EPay');
    });

    it('recharges its balance through EPay and sees the money arrive once', async () => {
      expect((await webCall(BalanceService.method.getBalance, {}, me.token)).balance).toBe('0.00');
      const recharge = await webCall(BalanceService.method.recharge, { customerId: me.customerId, amount: '50.00', gatewayInterfaceId: bed.gatewayId, returnUrl: 'https://shop.example/done' }, me.token);
      const paymentId = recharge.payment?.id ?? '';
      expect(recharge.payment).toMatchObject({ status: 'pending', amount: '50.00', orderId: '', gatewayInterfaceId: bed.gatewayId });
      expect(recharge.paymentUrl).toMatch(/submit\.php\?/);
      // The payer's browser opens the payment page; the gateway learns the order there.
      const page = await fetch(recharge.paymentUrl, { redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Pay 50.00');
      expect((await webCall(BalanceService.method.getBalance, {}, me.token)).balance).toBe('0.00');

      const notified = await bed.epay.pay(paymentId);
      expect(notified).toMatchObject({ status: 200, body: 'success' });
      expect((await webCall(BalanceService.method.getBalance, {}, me.token))).toMatchObject({ customerId: me.customerId, balance: '50.00' });
      // The gateway repeats its notify; nothing is credited twice.
      expect(await bed.epay.notify(paymentId)).toMatchObject({ status: 200, body: 'success' });
      expect((await webCall(BalanceService.method.getBalance, {}, me.token)).balance).toBe('50.00');
      expect(await mailTo(me.email, 'Balance recharged')).toContain('50.00 was added to the balance');
      const ledger = await webCall(BalanceService.method.listBalanceTransactions, { pagination: { page: 1, pageSize: 20 } }, me.token);
      expect(ledger.transactions.map((entry) => [entry.amount, entry.balanceAfter])).toEqual([['50.00', '50.00']]);
    });

    it('orders the product, pays it from the balance, and watches it become active with its instance', async () => {
      const created = await webCall(OrderService.method.createOrder, {
        customerId: me.customerId, productId: bed.productId, providerInterfaceId: bed.providerId, serverSpec: SPEC,
        currency: 'CNY', gatewayInterfaceId: '', notes: 'my first server', billingCycle: 'monthly',
      }, me.token);
      me.orderId = created.order?.id ?? '';
      expect(created.order).toMatchObject({ status: 'pending', amount: '20.00', customerId: me.customerId, productName: 'VPS Small', billingCycle: 'monthly' });
      expect(created.payment).toBeUndefined();

      const paid = await webCall(OrderService.method.payOrder, { orderId: me.orderId, gatewayInterfaceId: BALANCE }, me.token);
      expect(paid.payment).toMatchObject({ gatewayInterfaceId: BALANCE, paymentUrl: '' });
      expect(['paid', 'provisioning', 'active']).toContain((await webCall(OrderService.method.getOrder, { id: me.orderId }, me.token)).order?.status);
      expect((await webCall(BalanceService.method.getBalance, {}, me.token)).balance).toBe('30.00');

      const active = await eventually(async () => {
        const order = (await webCall(OrderService.method.getOrder, { id: me.orderId }, me.token)).order;
        return order?.status === 'active' ? order : undefined;
      }, 'the order to become active');
      expect(active.providerInstanceId).not.toBe('');
      expect(await mailTo(me.email, 'Order paid')).toContain(`Order ${me.orderId} was paid (20.00)`);

      const { instances } = await webCall(InstanceService.method.listInstances, { pagination: { page: 1, pageSize: 20 } }, me.token);
      expect(instances).toHaveLength(1);
      expect(instances[0]).toMatchObject({ orderId: me.orderId, customerId: me.customerId, productId: bed.productId, providerInstanceId: active.providerInstanceId, productName: 'VPS Small' });
      expect(instances[0]?.status).toMatch(/^(running|provisioning)$/);
      me.instanceId = instances[0]?.id ?? '';
      expect(bed.incus.instances.size).toBe(1);
      // The "server is ready" e-mail names the instance and its address, as ListInstances shows them.
      const ready = await mailTo(me.email, 'Your server is ready');
      expect(ready).toContain(`Order ${me.orderId} is active`);
      expect(ready).toContain(active.providerInstanceId);
      expect(instances[0]?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(ready).toContain(`at ${instances[0]?.ipAddress ?? ''}`);
      const orders = await webCall(OrderService.method.listOrders, { pagination: { page: 1, pageSize: 20 }, status: 'active' }, me.token);
      expect(orders.orders.map((order) => order.id)).toEqual([me.orderId]);
    });

    it('opens a ticket and sees the public reply, never the internal note', async () => {
      const opened = await webCall(TicketService.method.createTicket, { title: 'How do I log in?', description: 'Where is the root password of my server?', priority: 'medium' }, me.token);
      me.ticketId = opened.ticket?.id ?? '';
      expect(opened.ticket).toMatchObject({ customerId: me.customerId, status: 'pending', priority: 'medium', title: 'How do I log in?' });

      await admin.tickets().createReply({ ticketId: me.ticketId, content: 'Customer asked twice already; be patient', isInternal: true });
      await admin.tickets().createReply({ ticketId: me.ticketId, content: 'It is in the instance details page', isInternal: false });
      // The admin sees both.
      expect((await admin.tickets().getTicket({ id: me.ticketId })).ticket?.replies).toHaveLength(2);

      const seen = (await webCall(TicketService.method.getTicket, { id: me.ticketId }, me.token)).ticket;
      expect(seen?.replies.map((reply) => [reply.content, reply.isInternal])).toEqual([['It is in the instance details page', false]]);
      const listed = await webCall(TicketService.method.listTickets, { pagination: { page: 1, pageSize: 20 } }, me.token);
      expect(listed.tickets.map((ticket) => ticket.id)).toEqual([me.ticketId]);
      expect(JSON.stringify(listed.tickets)).not.toContain('be patient');
    });

    it('gets an invoice from the billing run and downloads it as a PDF', async () => {
      // Today's date (UTC), as the order's creation date says it: the run bills orders created in the period.
      const order = (await webCall(OrderService.method.getOrder, { id: me.orderId }, me.token)).order;
      const today = new Date(order?.createdAt ?? '').toISOString().slice(0, 10);
      const run = await admin.billing().generateInvoices({ billingPeriodStart: today, billingPeriodEnd: today });
      expect(run.generatedCount).toBe(1);

      const { invoices } = await webCall(BillingService.method.listInvoices, { pagination: { page: 1, pageSize: 20 } }, me.token);
      expect(invoices).toHaveLength(1);
      const [invoice] = invoices;
      // The order was paid when placed, so its invoice is issued already paid.
      expect(invoice).toMatchObject({ customerId: me.customerId, totalAmount: '20.00', status: 'paid', billingPeriodStart: today, billingPeriodEnd: today });
      expect(invoice?.invoiceNumber).toMatch(/^INV-\d{4}-\d{6}$/);
      me.invoiceId = invoice?.id ?? '';
      const detail = (await webCall(BillingService.method.getInvoice, { id: me.invoiceId }, me.token)).invoice;
      expect(detail?.items.map((item) => item.amount)).toEqual(['20.00']);

      const pdf = await fetch(`${bed.server.url}/invoices/${me.invoiceId}.pdf`, { headers: { authorization: `Bearer ${me.token}` } });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toMatch(/^application\/pdf/);
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
      expect((await fetch(`${bed.server.url}/invoices/${me.invoiceId}.pdf`)).status).toBe(401);
    });

    it('creates an API key once allowed and uses it from a native gRPC client', async () => {
      await expectCode(webCall(ApiKeyService.method.createApiKey, { name: 'billing sync' }, me.token), Code.PermissionDenied, /administrator must allow/);
      await admin.customers().updateCustomer({ id: me.customerId, canCreateApiKeys: true });

      const created = await webCall(ApiKeyService.method.createApiKey, { name: 'billing sync' }, me.token);
      expect(created.apiKey).toMatch(/^rk_live_[0-9A-Za-z]{43}$/);
      expect(created.apiKey.startsWith(created.keyPrefix)).toBe(true);
      const keys = await webCall(ApiKeyService.method.listApiKeys, {}, me.token);
      expect(keys.keys.map((key) => [key.id, key.name, key.enabled, key.keyPrefix])).toEqual([[created.id, 'billing sync', true, created.keyPrefix]]);
      expect(JSON.stringify(keys.keys)).not.toContain(created.apiKey);

      const asKey = bearer(created.apiKey);
      const balance = await grpcClient(BalanceService, bed.server.url, asKey).getBalance({});
      expect(balance).toMatchObject({ customerId: me.customerId, balance: '30.00' });
      const orders = await grpcClient(OrderService, bed.server.url, asKey).listOrders({ pagination: { page: 1, pageSize: 20 } });
      expect(orders.orders.map((order) => [order.id, order.status])).toEqual([[me.orderId, 'active']]);
      expect((await grpcClient(IdentityService, bed.server.url, asKey).getMe({})).user).toMatchObject({ userType: 'api_key', customerId: me.customerId });

      expect(await moneyInvariant(bed.db.url)).toMatchObject({ broken: [] });
    });
  });
}
