import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchedDestination, createLogger } from './log.js';

const dir = mkdtempSync(join(tmpdir(), 'thurkube-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log lines written in batches', () => {
  it('writes the lines of one turn of the event loop together once it is over, in order', async () => {
    const file = join(dir, 'batch.log');
    const fd = openSync(file, 'w');
    const log = createLogger('test', 'info', batchedDestination(fd));
    log.info('first');
    log.info({ n: 2 }, 'second');
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second']);
    expect(lines[1]).toMatchObject({ level: 'info', service: 'test', n: 2 });
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
