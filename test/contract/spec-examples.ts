/**
 * The grpcurl examples of the CustomerService and ProductService references
 * (`customer-service.md`, `product-service.md`), extracted as data: the method and the JSON body,
 * exactly as the spec writes them. test/server/spec-examples.test.ts runs them against a server.
 * Where the spec directory is absent the checked-in test/contract/spec-examples.json is used
 * (`npm run spec:snapshot` rewrites it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { grpcurlCommands } from '../support/grpcurl.ts';

/** One example: `grpcurl -plaintext [-H "authorization: Bearer <token>"] -d '<body>' localhost:50051 <method>`. */
export interface SpecExample {
  file: string;
  /** `rustbill.customer.CustomerService/CreateCustomer`. */
  method: string;
  /** Whether the example sends the bearer token. */
  authenticated: boolean;
  /** The `-d` JSON, parsed. */
  body: Record<string, unknown>;
}

/** The spec files whose examples are run. */
export const EXAMPLE_FILES = ['customer-service.md', 'product-service.md'] as const;

/** The examples of one spec file, in the order they appear (parsed by test/support/grpcurl.ts). */
export function parseExamples(markdown: string, file: string): SpecExample[] {
  return grpcurlCommands(markdown).map((command) => ({
    file,
    method: command.path,
    authenticated: command.authorized,
    body: JSON.parse(command.body) as Record<string, unknown>,
  }));
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The checked-in extraction. */
export const EXAMPLES_SNAPSHOT = join(REPO, 'test/contract/spec-examples.json');

/** The spec directory (SPEC_DIR, else ../shared/spec), or null when it is not there. */
export function specDir(): string | null {
  const dir = process.env['SPEC_DIR'] || resolve(REPO, '../shared/spec');
  return EXAMPLE_FILES.every((file) => existsSync(join(dir, file))) ? dir : null;
}

/** The examples parsed from the spec in `dir`. */
export function examplesFrom(dir: string): SpecExample[] {
  return EXAMPLE_FILES.flatMap((file) => parseExamples(readFileSync(join(dir, file), 'utf8'), file));
}

/** The examples: from the spec when present, else from the snapshot. */
export function loadExamples(): SpecExample[] {
  const dir = specDir();
  return dir ? examplesFrom(dir) : (JSON.parse(readFileSync(EXAMPLES_SNAPSHOT, 'utf8')) as SpecExample[]);
}
