/**
 * `npm run spec:snapshot`: extracts the spec's API tables (field names, numbers, types; no prose)
 * into test/contract/spec-snapshot.json, and the grpcurl examples of the customer and product
 * references into test/contract/spec-examples.json, which the tests use where the spec directory
 * is absent.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES_SNAPSHOT, examplesFrom } from './spec-examples.ts';
import { loadSpec, parseLooseFieldTables, SPEC_FILES, type SpecField } from './spec-tables.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = process.env['SPEC_DIR'] || resolve(repo, '../shared/spec');
if (!existsSync(join(dir, SPEC_FILES.handbook))) throw new Error(`RustBill specification not found in ${dir} (set SPEC_DIR)`);
const loose: Record<string, SpecField[][]> = {};
for (const file of Object.keys(SPEC_FILES.loose)) loose[file] = parseLooseFieldTables(readFileSync(join(dir, file), 'utf8'), file);
const out = join(repo, 'test/contract/spec-snapshot.json');
writeFileSync(out, `${JSON.stringify({ spec: loadSpec(dir), loose }, null, 1)}\n`);
process.stdout.write(`wrote ${out}\n`);
writeFileSync(EXAMPLES_SNAPSHOT, `${JSON.stringify(examplesFrom(dir), null, 1)}\n`);
process.stdout.write(`wrote ${EXAMPLES_SNAPSHOT}\n`);
