import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dedupeMessages,
  loadSpec,
  parseCompactFieldList,
  parseExtraServices,
  parseHandbook,
  parseLooseFieldTables,
  parseTypeExpr,
  splitRow,
  SpecParseError,
  type SpecDocument,
  type SpecMessage,
} from './spec-tables.ts';

function message(doc: SpecDocument, pkg: string | undefined, name: string): SpecMessage {
  const m = doc.messages.find((x) => x.pkg === pkg && x.name === name);
  if (!m) throw new Error(`no ${pkg}.${name} in ${doc.messages.map((x) => `${x.pkg}.${x.name}`).join(', ')}`);
  return m;
}

/** name=number:flags type, for compact assertions. */
function fieldsOf(m: SpecMessage): string[] {
  return m.fields.map(
    (f) =>
      `${f.name}=${f.number}:${f.optional ? 'opt ' : ''}${f.repeated ? 'rep ' : ''}` +
      `${f.mapKey !== undefined ? `map<${f.mapKey},${f.type}>` : (f.type ?? '-')}`,
  );
}

const HANDBOOK = `前言,不属于 API 参考
| 字段 | 类型 | 编号 | 描述 |
|---|---|---|---|
| ignored | string | 1 | 在 API 参考之前 |
gRPC API 参考
服务清单
| 服务 | Package | 文件 | 职责 |
|---|---|---|---|
| DemoService | rustbill.demo | demo.md | 演示 |
| OtherService | rustbill.other | other.md | 其他 |
公共类型
EmptyRequest / EmptyResponse
无字段的空消息。
PageRequest
| 字段 | 类型 | 编号 | 描述 |
|---|---|---|---|
| page | uint32 | 1 | 页码 |
DemoService
演示服务。
RPC 列表
| RPC | 描述 | 权限 |
|---|---|---|
| Register | 注册 | 公开 |
| Ping | 探测 | 公开 |
Register
描述
注册新用户。
Request — RegisterRequest
| 字段 | 类型 | 编号 | 必填 | 描述 |
|---|---|---|---|---|
| username | string | 1 | 是 | 用户名 |
| string | 2 | 是 | 邮箱地址 | |
| tags | repeated string | 3 | 否 | 标签 |
| extra | map<string,string> | 4 | 否 | 扩展 |
| nick | string? | 5 | 否 | 昵称 |
Response — RegisterResponse
| 字段 | 类型 | 编号 | 描述 |
|---|---|---|---|
| user | UserInfo | 1 | 用户 |
| payment | PaymentInfo? | 2 | 支付信息 |
错误码
| 错误 | 说明 |
|---|---|
| InvalidArgument | 参数错误 |
Ping
描述
Request — EmptyRequest
无字段。
Response — PingResponse
无字段。
公共类型
UserInfo
用户记录。
| 字段 | 类型 | 编号 | 描述 |
|---|---|---|---|
| id | string | 1 | 用户 UUID |
OtherService
RPC 列表
| RPC | 描述 | 权限 |
|---|---|---|
| Ping | 探测 | 公开 |
Ping
描述
详情同 DemoService 中的 Ping。
`;

describe('parseTypeExpr', () => {
  it('reads scalars, optionals, repeated, maps and backquoted names', () => {
    expect(parseTypeExpr('string')).toEqual({ type: 'string', repeated: false, optional: false, mapKey: undefined });
    expect(parseTypeExpr('bool?')).toMatchObject({ type: 'bool', optional: true });
    expect(parseTypeExpr('PaymentInfo?')).toMatchObject({ type: 'PaymentInfo', optional: true });
    expect(parseTypeExpr('repeated UserInfo')).toMatchObject({ type: 'UserInfo', repeated: true });
    expect(parseTypeExpr('map<string,string>')).toMatchObject({ type: 'string', mapKey: 'string' });
    expect(parseTypeExpr('map< string , uint32 >')).toMatchObject({ type: 'uint32', mapKey: 'string' });
    expect(parseTypeExpr('`PaymentRecord`')).toMatchObject({ type: 'PaymentRecord', optional: false });
    expect(parseTypeExpr('optional string')).toMatchObject({ type: 'string', optional: true });
  });

  it('rejects anything else', () => {
    expect(() => parseTypeExpr('map<string>')).toThrow(SpecParseError);
    expect(() => parseTypeExpr('two words')).toThrow(SpecParseError);
    expect(() => parseTypeExpr('')).toThrow(SpecParseError);
  });
});

describe('splitRow', () => {
  it('splits cells and keeps empty trailing cells', () => {
    expect(splitRow('| a | b c |  |')).toEqual(['a', 'b c', '']);
    expect(() => splitRow('no table')).toThrow(SpecParseError);
  });
});

describe('parseHandbook', () => {
  const doc = parseHandbook(HANDBOOK, 'demo.md');

  it('reads the service list and each service RPC list, ignoring text before the API reference', () => {
    expect(doc.services.map((s) => `${s.pkg}.${s.name}`)).toEqual(['rustbill.demo.DemoService', 'rustbill.other.OtherService']);
    expect(doc.services[0]!.rpcs.map((r) => `${r.name}(${r.request}) ${r.response}`)).toEqual([
      'Register(RegisterRequest) RegisterResponse',
      'Ping(EmptyRequest) PingResponse',
    ]);
    expect(doc.messages.some((m) => m.fields.some((f) => f.name === 'ignored'))).toBe(false);
  });

  it('puts common types before the first service into rustbill.common, "A / B" headings included', () => {
    expect(fieldsOf(message(doc, 'rustbill.common', 'PageRequest'))).toEqual(['page=1:uint32']);
    expect(message(doc, 'rustbill.common', 'EmptyRequest').fields).toEqual([]);
    expect(message(doc, 'rustbill.common', 'EmptyResponse').fields).toEqual([]);
  });

  it('reads request and response tables, recovering the lost email name', () => {
    const req = message(doc, 'rustbill.demo', 'RegisterRequest');
    expect(fieldsOf(req)).toEqual([
      'username=1:string',
      'email=2:string',
      'tags=3:rep string',
      'extra=4:map<string,string>',
      'nick=5:opt string',
    ]);
    expect(req.fields.map((f) => f.recoveredName)).toEqual([false, true, false, false, false]);
    expect(req.fields[1]!.source).toBe('demo.md:32');
    expect(fieldsOf(message(doc, 'rustbill.demo', 'RegisterResponse'))).toEqual(['user=1:UserInfo', 'payment=2:opt PaymentInfo']);
  });

  it('records "no fields" messages in the section package and tables headed by a bare name', () => {
    expect(message(doc, 'rustbill.demo', 'EmptyRequest').fields).toEqual([]);
    expect(message(doc, 'rustbill.demo', 'PingResponse').fields).toEqual([]);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'UserInfo'))).toEqual(['id=1:string']);
    expect(doc.services[0]!.tables.length).toBe(3);
  });

  it('reads "详情同 X 中的 Y" as the same messages as another RPC', () => {
    const ping = doc.services[1]!.rpcs[0]!;
    expect(ping.sameAs).toEqual({ service: 'DemoService', rpc: 'Ping' });
    expect(ping.request).toBeUndefined();
  });

  it('fails on a lost field name it cannot recover', () => {
    const text = HANDBOOK.replace('| string | 2 | 是 | 邮箱地址 | |', '| string | 2 | 是 | 电话 | |');
    expect(() => parseHandbook(text)).toThrow(/not recoverable/);
  });

  it('fails on a field table without a heading', () => {
    const text = HANDBOOK.replace('UserInfo\n用户记录。\n', '');
    expect(() => parseHandbook(text)).toThrow(/without a message heading/);
  });

  it('fails on an RPC without request/response and on a missing API reference', () => {
    expect(() => parseHandbook(HANDBOOK.replace('Request — RegisterRequest\n', 'Request\n'))).toThrow(SpecParseError);
    expect(() => parseHandbook(HANDBOOK.replace('gRPC API 参考', 'API'))).toThrow(/gRPC API 参考/);
    expect(() => parseHandbook(HANDBOOK.replace('| 2 | 是 | 邮箱地址 | |', '| x | 是 | 邮箱地址 | |'))).toThrow(
      /no field number/,
    );
  });
});

const EXTRA = `# Extra services
## rustbill.demo.ThingService
\`ThingInfo\` (fixed): id 1 string · count 2 uint32 · specs 3 map<string,string> ·
created_at 4 · note 5 (free text,
over two lines) · updated_at 6.
Status: a / b. Not a field 7.
\`SectionInfo\` (fixed 1-2): title 1 · items 2 repeated \`ItemInfo\`; (ours) kind 3 · order 4 — the format of
\`sections()\`.

| RPC | request | response | permission |
|---|---|---|---|
| CreateThing | name 1 · sort_order 2 int32 (fixed) | thing 1 (fixed) | admin |
| UpdateThing | id 1 · name 2 · note 3 (fixed; treat 2-3 as optional) | thing 1 | admin |
| ListThings | pagination 1 · status 2? · kind 3 optional (ours) | things 1 · meta 2 | public |
| StartThing, StopThing | id 1 (ours) | empty | admin |
| Pay | amount 2 (signed) | payment 1 \`PaymentRecord\` · ok 2 bool | admin |

\`ListThingsRequest.kind\` (3, above) filters by kind.

## Notes
- \`Tpl.x\` is \`Tpl { fields 1 repeated Field; groups 2 repeated Group }\`.
`;

describe('parseExtraServices', () => {
  const doc = parseExtraServices(EXTRA, 'extra.md');

  it('reads compact definitions across lines, without notes, dashes or following sentences', () => {
    expect(fieldsOf(message(doc, 'rustbill.demo', 'ThingInfo'))).toEqual([
      'id=1:string',
      'count=2:uint32',
      'specs=3:map<string,string>',
      'created_at=4:-',
      'note=5:-',
      'updated_at=6:-',
    ]);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'SectionInfo'))).toEqual([
      'title=1:-',
      'items=2:rep ItemInfo',
      'kind=3:-',
      'order=4:-',
    ]);
  });

  it('reads RPC rows into conventionally named messages', () => {
    const service = doc.services[0]!;
    expect(`${service.pkg}.${service.name}`).toBe('rustbill.demo.ThingService');
    expect(service.rpcs.map((r) => r.name)).toEqual(['CreateThing', 'UpdateThing', 'ListThings', 'StartThing', 'StopThing', 'Pay']);
    expect(service.rpcs.every((r) => r.conventionalNames && r.request === `${r.name}Request`)).toBe(true);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'CreateThingRequest'))).toEqual(['name=1:-', 'sort_order=2:int32']);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'CreateThingResponse'))).toEqual(['thing=1:-']);
    expect(message(doc, 'rustbill.demo', 'CreateThingRequest').conventionalName).toBe(true);
  });

  it('reads ?, "optional" and "treat N-M as optional" as proto3 optional', () => {
    expect(fieldsOf(message(doc, 'rustbill.demo', 'UpdateThingRequest'))).toEqual(['id=1:-', 'name=2:opt -', 'note=3:opt -']);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'ListThingsRequest'))).toEqual([
      'pagination=1:-',
      'status=2:opt -',
      'kind=3:opt -',
    ]);
  });

  it('expands comma-separated RPC names, "empty" responses and typed items', () => {
    expect(fieldsOf(message(doc, 'rustbill.demo', 'StopThingRequest'))).toEqual(['id=1:-']);
    expect(message(doc, 'rustbill.demo', 'StartThingResponse').fields).toEqual([]);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'PayRequest'))).toEqual(['amount=2:-']);
    expect(fieldsOf(message(doc, 'rustbill.demo', 'PayResponse'))).toEqual(['payment=1:PaymentRecord', 'ok=2:bool']);
  });

  it('reads inline `X { ... }` definitions outside service sections without a package', () => {
    expect(fieldsOf(message(doc, undefined, 'Tpl'))).toEqual(['fields=1:rep Field', 'groups=2:rep Group']);
  });

  it('fails on an RPC table outside a service section and on unreadable items', () => {
    const outside = EXTRA.replace('## rustbill.demo.ThingService', '## Something else');
    expect(() => parseExtraServices(outside)).toThrow(/outside a service section/);
    expect(() => parseCompactFieldList('id 1 · not a field', 'x')).toThrow(SpecParseError);
    expect(() => parseCompactFieldList('id 1 strange type here', 'x')).toThrow(SpecParseError);
  });
});

describe('parseLooseFieldTables', () => {
  it('splits adjacent tables at header rows and skips non-field tables', () => {
    const text = [
      '| RPC | 描述 | 权限 |',
      '| Ping | 探测 | 公开 |',
      '| 字段 | 类型 | 编号 | 必填 | 描述 |',
      '| a | string | 1 | 是 | x |',
      '| 字段 | 类型 | 编号 | 描述 |',
      '| b | repeated bool | 2 | y |',
      '| 错误 | 说明 |',
      '| NotFound | z |',
    ].join('\n');
    const tables = parseLooseFieldTables(text, 'loose.md');
    expect(tables.map((t) => t.map((f) => `${f.name}=${f.number}`))).toEqual([['a=1'], ['b=2']]);
    expect(tables[1]![0]!.repeated).toBe(true);
  });
});

describe('dedupeMessages and loadSpec', () => {
  it('collapses identical repeats and rejects conflicting ones', () => {
    const doc = parseHandbook(HANDBOOK);
    const user = message(doc, 'rustbill.demo', 'UserInfo');
    expect(dedupeMessages([user, { ...user, source: 'again' }])).toHaveLength(1);
    const changed = { ...user, fields: [{ ...user.fields[0]!, number: 9 }], source: 'other' };
    expect(() => dedupeMessages([user, changed])).toThrow(/conflicts/);
  });

  it('loads both files of a spec directory and fails on a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-tables-'));
    try {
      writeFileSync(join(dir, 'rustbill-docs.md'), HANDBOOK);
      expect(() => loadSpec(dir)).toThrow(/extra-services\.md/);
      writeFileSync(join(dir, 'extra-services.md'), EXTRA);
      const doc = loadSpec(dir);
      expect(doc.services.map((s) => s.name)).toEqual(['DemoService', 'OtherService', 'ThingService']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
