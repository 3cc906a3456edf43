/**
 * The README's "A customer's journey" examples, run in order against a real cluster exactly as
 * written (apart from ids, tokens and the SMTP server's address): the admin's setup, registration
 * with the e-mailed code, the catalog, a recharge through EPay, an order paid from the balance and
 * provisioned, a ticket, the billing run and the PDF, an API key used as the customer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SERVICES } from '../../src/grpc/service-list.ts';
import { bearer } from '../support/clients.ts';
import { startSmtpServer, type SmtpCounterpart } from '../support/counterparts/smtp.ts';
import { callJson, grpcurlCommands } from '../support/grpcurl.ts';
import { moneyInvariant, startMoneyBed, type MoneyBed } from '../support/money-fixture.ts';
import { REPO_ROOT } from '../support/server.ts';
import { eventually } from '../support/eventually.ts';

let bed: MoneyBed;
let smtp: SmtpCounterpart;

beforeAll(async () => {
  smtp = await startSmtpServer();
  bed = await startMoneyBed({ workers: 2 });
}, 180_000);

afterAll(async () => {
  await bed?.stop();
  await smtp?.close();
});

function object(value: JsonValue | undefined): Record<string, JsonValue> {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

describe("the README's customer journey", () => {
  it('succeeds in order, each id taken from an earlier answer', async () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf("## A customer's journey");
    expect(start).toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const commands = grpcurlCommands(section);
    expect(commands.map((command) => command.path.split('/')[1])).toEqual([
      'ListPlugins', 'CreatePluginInterface', 'TogglePluginInterface', 'CreateProductCategory', 'CreateProductGroup', 'CreateProduct',
      'SendVerificationCode', 'Register', 'Login', 'GetMe', 'ListProductCategories', 'ListProductGroups', 'ListProducts', 'ListGateways',
      'Recharge', 'GetBalance', 'CreateOrder', 'PayOrder', 'GetOrder', 'ListInstances', 'CreateTicket', 'CreateReply', 'CreateReply',
      'GetTicket', 'GenerateInvoices', 'ListInvoices', 'UpdateCustomer', 'CreateApiKey', 'GetBalance', 'ListOrders',
    ]);
    const pdfUrl = /curl -H "\$CUSTOMER_AUTH" -o invoice\.pdf (http:\/\/localhost:50051\/invoices\/<invoice id>\.pdf)/.exec(section)?.[1];
    expect(pdfUrl).toBeDefined();

    const values: Record<string, string> = {
      'provider interface id': bed.providerId,
      'gateway interface id': bed.gatewayId,
      today: new Date().toISOString().slice(0, 10),
    };
    const fill = (text: string, where: string): string => text.replace(/<([a-z -]+)>/g, (whole, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`${where} uses ${whole} before an answer gave it`);
      return value;
    });
    let customerToken = '';
    const answers: Array<[string, Record<string, JsonValue>]> = [];
    for (const command of commands) {
      const method = command.path.split('/')[1] ?? '';
      let body = JSON.parse(fill(command.body, command.path)) as Record<string, JsonValue>;
      if (method === 'CreatePluginInterface') {
        // The documented settings, pointed at the local SMTP server.
        const config = JSON.parse(String(body.config_json)) as Record<string, JsonValue>;
        expect(Object.keys(config).sort()).toEqual(['encryption', 'from', 'password', 'smtp_host', 'smtp_port', 'username']);
        body = { ...body, config_json: JSON.stringify({ ...config, smtp_host: smtp.host, smtp_port: smtp.port, username: smtp.username, password: smtp.password, encryption: 'none' }) };
      }
      if (method === 'GetOrder') {
        // Provisioning runs in the background: the order becomes active within seconds.
        await eventually(async () => {
          const order = object(object(await callJson(bed.server.url, ALL_SERVICES, command.path, body, bearer(customerToken))).order);
          return order.status === 'active' ? true : undefined;
        }, 'the order to become active');
      }
      const headers: Record<string, string> = {};
      for (const header of command.headers) {
        if (header === '$AUTH') Object.assign(headers, bearer(bed.adminToken));
        else if (header === '$CUSTOMER_AUTH') Object.assign(headers, bearer(customerToken));
        else {
          const [name = '', ...rest] = fill(header, command.path).split(':');
          headers[name.trim().toLowerCase()] = rest.join(':').trim();
        }
      }
      const answer = object(await callJson(bed.server.url, ALL_SERVICES, command.path, body, headers));
      answers.push([method, answer]);
      if (method === 'ListPlugins') values['email plugin id'] = String(object(list(answer.plugins).find((plugin) => object(plugin).plugin_id === 'email')).id);
      if (method === 'CreatePluginInterface') values['email interface id'] = String(object(answer.interface).id);
      if (method === 'CreateProductCategory') values['category id'] = String(object(answer.category).id);
      if (method === 'CreateProductGroup') values['group id'] = String(object(answer.group).id);
      if (method === 'CreateProduct') values['product id'] = String(object(answer.product).id);
      if (method === 'SendVerificationCode') {
        const email = String(body.email);
        const mail = await eventually(async () => smtp.messages.find((message) => message.to.includes(email)), 'the verification e-mail');
        values['code from the e-mail'] = /\b(\d{6})\b/.exec(mail.body)?.[1] ?? '';
      }
      if (method === 'Register') values['customer id'] = String(answer.customer_id);
      if (method === 'Login') customerToken = String(answer.access_token);
      if (method === 'Recharge') {
        // The payer opens the payment page and pays; the gateway notifies the server.
        expect((await fetch(String(answer.payment_url), { redirect: 'manual' })).status).toBe(200);
        expect(await bed.epay.pay(String(object(answer.payment).id))).toMatchObject({ status: 200, body: 'success' });
      }
      if (method === 'CreateOrder') values['order id'] = String(object(answer.order).id);
      if (method === 'CreateTicket') values['ticket id'] = String(object(answer.ticket).id);
      if (method === 'ListInvoices') values['invoice id'] = String(object(list(answer.invoices)[0]).id);
      if (method === 'CreateApiKey') values['api key'] = String(answer.api_key);
    }
    const get = (name: string, nth = 0): Record<string, JsonValue> => answers.filter(([method]) => method === name)[nth]?.[1] ?? {};

    expect(get('GetMe')).toMatchObject({ user: { username: 'jane', user_type: 'customer', customer_id: values['customer id'] } });
    expect(get('ListProductCategories')).toMatchObject({ categories: [{ name: 'Cloud servers', group_count: 1 }] });
    expect(get('ListProductGroups')).toMatchObject({ groups: [{ name: 'Hong Kong', product_count: 1 }] });
    expect(get('ListProducts')).toMatchObject({ products: [{ id: values['product id'], name: 'VPS Small', price_per_month: '20.00' }] });
    expect(list(get('ListGateways').gateways).map((gateway) => object(gateway).gateway_id)).toEqual(['00000000-0000-7000-8000-000000000001', bed.gatewayId]);
    expect(get('GetBalance', 0)).toMatchObject({ balance: '50.00' });
    expect(get('ListInstances')).toMatchObject({ instances: [{ order_id: values['order id'], status: 'running' }] });
    expect(list(object(get('GetTicket').ticket).replies).map((reply) => object(reply).content)).toEqual(['It is in the instance details page']);
    expect(get('GenerateInvoices')).toMatchObject({ generated_count: 1 });
    expect(get('ListInvoices')).toMatchObject({ invoices: [{ status: 'paid', total_amount: '20.00' }] });
    expect(String(get('CreateApiKey').api_key)).toMatch(/^rk_live_/);
    expect(get('GetBalance', 1)).toMatchObject({ customer_id: values['customer id'], balance: '30.00' });
    expect(get('ListOrders')).toMatchObject({ orders: [{ id: values['order id'], status: 'active' }] });

    const pdf = await fetch(fill(pdfUrl ?? '', 'curl').replace('http://localhost:50051', bed.server.url), { headers: bearer(customerToken) });
    expect(pdf.status).toBe(200);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('%PDF');
    expect((await moneyInvariant(bed.db.url)).broken).toEqual([]);
  }, 120_000);
});
