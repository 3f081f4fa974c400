/**
 * The test agent, run as a real process on the host's Node (the image runs the same file on Node
 * 24): what it reports and how it exits. The read-only-root check passes only in a container
 * whose root is mounted read-only, so here it is expected to fail (the node suite proves the pass).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const AGENT = join(import.meta.dirname, 'agent.mjs');
let dir = '';

interface Report {
  ok: boolean;
  prompt?: string;
  failed: string[];
  checks: { name: string; ok: boolean; detail: unknown }[];
  persist?: { previousRuns: number };
  steeredToFail: boolean;
}

function runAgent(
  env: Record<string, string>,
): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AGENT],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => {
        const code = error ? Number(error.code ?? 1) : 0;
        resolve({ code, report: JSON.parse(stdout.trim().split('\n')[0] ?? '{}') as Report, stdout, stderr });
      },
    );
  });
}

const config = { prompt: 'Fix the build.', allowedTools: ['Bash', 'Read'], mcpServers: [], repositories: [] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'test-agent-'));
  for (const sub of ['config', 'home', 'persist', 'rw']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'config', 'agent.json'), JSON.stringify(config));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const baseEnv = () => ({
  CONFIG_DIR: join(dir, 'config'),
  HOME: join(dir, 'home'),
  CLAUDE_CODE_OAUTH_TOKEN: 'secret-token-value',
  THURKUBE_TEST_RO_PROBE: join(dir, 'rw'),
});

describe('test agent runtime', () => {
  it('reports what it was given, never the token, and fails only the read-only-root check on a writable root', async () => {
    const { code, report, stdout } = await runAgent(baseEnv());
    expect(report.prompt).toBe('Fix the build.');
    expect(report.failed).toEqual(['readOnlyRoot']);
    expect(code).toBe(1);
    expect(stdout).not.toContain('secret-token-value');
    expect(report.checks.find((c) => c.name === 'token')?.detail).toBe(
      'CLAUDE_CODE_OAUTH_TOKEN set (18 characters)',
    );
  });

  it('fails on a missing token, a missing prompt and an unwritable HOME, naming each', async () => {
    writeFileSync(join(dir, 'config', 'agent.json'), JSON.stringify({ ...config, prompt: '' }));
    const env: Record<string, string> = { ...baseEnv(), HOME: join(dir, 'no-such-home') };
    delete env.CLAUDE_CODE_OAUTH_TOKEN;
    const { code, report, stdout } = await runAgent(env);
    expect(code).toBe(1);
    expect(report.failed).toEqual(['prompt', 'token', 'home', 'readOnlyRoot']);
    expect(stdout.trim().split('\n').at(-1)).toBe(
      'thurkube-test-agent: checks failed: prompt, token, home, readOnlyRoot',
    );
  });

  it('prefers prompt.txt, counts runs in PERSIST_DIR, and fails when steered to', async () => {
    writeFileSync(join(dir, 'config', 'prompt.txt'), 'From the file.');
    const env = { ...baseEnv(), PERSIST_DIR: join(dir, 'persist'), THURKUBE_TEST_OUTCOME: 'fail' };
    const first = await runAgent(env);
    const second = await runAgent(env);
    expect(first.report.prompt).toBe('From the file.');
    expect(first.report.persist?.previousRuns).toBe(0);
    expect(second.report.persist?.previousRuns).toBe(1);
    expect(
      readFileSync(join(dir, 'persist', 'thurkube-test-agent.runs'), 'utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(2);
    expect(second.report.steeredToFail).toBe(true);
    expect(second.code).toBe(1);
  });

  it('writes the result it is given to the termination message file, as a runtime reports one', async () => {
    const file = join(dir, 'termination-log');
    const result = JSON.stringify({ summary: 'Did it.', costUsd: 0.1 });
    await runAgent({ ...baseEnv(), THURKUBE_TEST_RESULT: result, THURKUBE_TEST_RESULT_FILE: file });
    expect(readFileSync(file, 'utf8')).toBe(result);
  });
});
