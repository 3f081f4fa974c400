import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchedDestination, createLogger, LOG_BATCH_BYTES, LOG_BATCH_MS } from './log.js';

const dir = mkdtempSync(join(tmpdir(), 'thurkube-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log lines written in batches', () => {
  it('writes the lines of a short while together, in order, within LOG_BATCH_MS', async () => {
    const file = join(dir, 'batch.log');
    const fd = openSync(file, 'w');
    const log = createLogger('test', 'info', batchedDestination(fd));
    log.info('first');
    await new Promise((resolve) => setImmediate(resolve));
    log.info({ n: 2 }, 'second');
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setTimeout(resolve, LOG_BATCH_MS + 30));
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second']);
    expect(lines[1]).toMatchObject({ level: 'info', service: 'test', n: 2 });
    closeSync(fd);
  });

  it('writes at once when LOG_BATCH_BYTES are pending', () => {
    const file = join(dir, 'full.log');
    const fd = openSync(file, 'w');
    const log = createLogger('test', 'info', batchedDestination(fd));
    const message = 'x'.repeat(1000);
    let logged = 0;
    // No turn of the event loop in between: what is written was written because the batch filled.
    while (statSync(file).size === 0 && logged < 1000) {
      log.info(message);
      logged += 1;
    }
    const written = readFileSync(file, 'utf8');
    expect(written.length).toBeGreaterThanOrEqual(LOG_BATCH_BYTES);
    expect(written.length).toBeLessThan(LOG_BATCH_BYTES + 2000);
    const lines = written.trim().split('\n');
    expect(lines).toHaveLength(logged);
    expect(JSON.parse(lines[logged - 1] ?? '')).toMatchObject({ msg: message });
    closeSync(fd);
  });

  it('writes what is pending when the process exits right after logging', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./shared/log.ts').then(({ createLogger }) => { createLogger('test').warn('last words'); process.exit(3); })",
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(3);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ level: 'warn', msg: 'last words' });
  });
});

describe('log lines', () => {
  const captured = (level: 'info' | 'debug' | 'warn' = 'info') => {
    const lines: Record<string, unknown>[] = [];
    const raw: string[] = [];
    const log = createLogger('controller', level, {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line));
      },
    });
    return { log, lines, raw };
  };

  it('are one JSON object per line: level label, ISO time, service, fields, msg, in that order', () => {
    const { log, raw } = captured();
    log.info({ agentJob: 'team-a/nightly', attempts: 2, skipped: undefined }, 'reconciled');
    log.warn('no fields');
    expect(raw).toHaveLength(2);
    expect(raw[0]).toMatch(
      /^\{"level":"info","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","service":"controller","agentJob":"team-a\/nightly","attempts":2,"msg":"reconciled"\}\n$/,
    );
    expect(JSON.parse(raw[1] ?? '')).toMatchObject({
      level: 'warn',
      service: 'controller',
      msg: 'no fields',
    });
  });

  it('leave out what is below the level, and silent writes nothing', () => {
    const { log, lines } = captured('warn');
    log.info('hidden');
    log.debug('hidden');
    log.error('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.isLevelEnabled('fatal')).toBe(true);
    const silent = createLogger('x', 'silent', { write: () => expect.unreachable('silent wrote a line') });
    silent.fatal('nothing');
    expect(silent.isLevelEnabled('silent')).toBe(false);
  });

  it('never carry secret values, at the top of a record or one object down', () => {
    const { log, lines } = captured();
    const secret = { metadata: { name: 's' }, data: { token: 'c2VjcmV0' }, stringData: { a: 'b' } };
    log.info({ secret, token: 't0p', headers: { authorization: 'Bearer abc', accept: 'json' } }, 'x');
    log.info({ auth: { password: 'hunter2', key: 'k', user: 'u' }, data: 'raw' }, 'y');
    expect(JSON.stringify(lines)).not.toMatch(/c2VjcmV0|"b"|t0p|Bearer abc|hunter2|"k"|raw/);
    expect(lines[0]).toMatchObject({
      secret: { metadata: { name: 's' }, data: '[redacted]', stringData: '[redacted]' },
      token: '[redacted]',
      headers: { authorization: '[redacted]', accept: 'json' },
    });
    expect(lines[1]).toMatchObject({ auth: { password: '[redacted]', key: '[redacted]', user: 'u' } });
    // The caller's object is left as it was.
    expect(secret.data).toEqual({ token: 'c2VjcmV0' });
  });

  it('add the fields of a child to every line; a child without redaction logs scalars as given', () => {
    const { log, lines } = captured();
    log.child({ replica: 'r1' }).info({ n: 1 }, 'a');
    log.child({}, { redact: false }).info({ token: 'shown-on-purpose' }, 'b');
    expect(lines[0]).toMatchObject({ service: 'controller', replica: 'r1', n: 1, msg: 'a' });
    expect(lines[1]).toMatchObject({ token: 'shown-on-purpose' });
  });

  it('write what JSON cannot hold instead of throwing: errors by name and message, cycles and BigInts as text', () => {
    const { log, lines } = captured();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.error({ err: new TypeError('bad'), cycle, big: 10n }, 'odd values');
    expect(lines[0]).toMatchObject({
      err: { type: 'TypeError', message: 'bad' },
      cycle: '[object Object]',
      big: '10',
      msg: 'odd values',
    });
  });
});
