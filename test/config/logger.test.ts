import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/config/logger.ts';

function collector(): { lines: string[]; write(chunk: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(chunk);
    },
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line in json format, with bindings and the level name', () => {
    const out = collector();
    const log = createLogger({ level: 'info', format: 'json' }, { worker: 2 }, out);
    log.debug('hidden');
    log.info({ port: 50051 }, 'listening');
    expect(out.lines).toHaveLength(1);
    const line = out.lines[0] ?? '';
    expect(line.endsWith('\n')).toBe(true);
    const entry: unknown = JSON.parse(line);
    expect(entry).toMatchObject({ level: 'info', worker: 2, port: 50051, msg: 'listening' });
    expect(entry).toHaveProperty('time');
  });

  it('writes one readable text line per entry in pretty format', () => {
    const out = collector();
    const log = createLogger({ level: 'debug', format: 'pretty' }, { worker: 1 }, out);
    log.debug({ host: '127.0.0.1', note: 'two words' }, 'listening');
    const line = out.lines[0] ?? '';
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG listening worker=1 host=127\.0\.0\.1 note="two words"\n$/);
  });

  it('puts an error message on the line and its stack below', () => {
    const out = collector();
    const log = createLogger({ level: 'info', format: 'pretty' }, {}, out);
    log.error({ err: new Error('boom') }, 'failed');
    const text = out.lines.join('');
    expect(text).toMatch(/ERROR failed err=boom\n {4}at /);
  });
});
