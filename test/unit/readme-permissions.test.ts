import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '../../src/grpc/authz.ts';
import { ALL_SERVICES } from '../../src/grpc/service-list.ts';
import { REPO_ROOT } from '../support/server.ts';

const COLUMNS: Permission[] = ['public', 'authenticated', 'admin_or_own', 'admin', 'admin_only'];

describe('the README\'s "Services and permissions" table', () => {
  it('lists every RPC of every service with the permission src/grpc/authz.ts declares', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Services and permissions');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const documented: Record<string, Record<string, Permission>> = {};
    for (const line of section.split('\n').filter((row) => row.startsWith('| `'))) {
      const [service = '', ...cells] = line.split('|').slice(1, -1).map((cell) => cell.trim());
      const name = `rustbill.${service.replace(/`/g, '')}`;
      documented[name] = {};
      cells.forEach((cell, index) => {
        for (const rpc of cell === '—' ? [] : cell.split(',').map((entry) => entry.trim())) documented[name]![rpc] = COLUMNS[index] as Permission;
      });
    }
    expect(documented).toEqual(PERMISSIONS);
    const served = Object.fromEntries(ALL_SERVICES.map((service) => [service.typeName, service.methods.map((method) => method.name).sort()]));
    expect(Object.fromEntries(Object.entries(documented).map(([name, rpcs]) => [name, Object.keys(rpcs).sort()]))).toEqual(served);
  });
});
