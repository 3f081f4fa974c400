/**
 * Every run accounted for, on the real control plane (kwok plays the kubelet: see README "How tests
 * steer pods"): why a run failed (exit code, reason, the log line it ended on), OOMKilled with its
 * limit, a run stopped by timeoutSeconds, a pod that never started, what a run reported, the
 * history of a scheduled AgentJob's runs with its counters, events and metrics.
 */
import { describe, expect, it } from 'vitest';
import {
  EXIT_CODE_ENV,
  MESSAGE_ENV,
  OUTCOME_ENV,
  REASON_ENV,
  RUN_FOR_ENV,
  WAITING_ENV,
} from '../../dev/cluster/kwok-stages.js';
import type { AgentJobStatus } from '../../shared/schemas/agent-job.js';
import { example } from '../fixtures/load.js';
import { eventually, testCluster } from '../support/testing.js';
import { applyManifest, condition, controllerSuite, eventsAbout, statusWhen } from './controller-helpers.js';

const cluster = testCluster();
const suite = controllerSuite(cluster, 'runs');

const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

async function oneShot(name: string, spec: Record<string, unknown>): Promise<void> {
  const aj = example('AgentJob', 'minimal');
  aj.metadata.name = name;
  aj.spec = { ...aj.spec, ...spec };
  await applyManifest(cluster, suite.namespace(), aj);
}

const finished = (s: AgentJobStatus) =>
  s.runs?.[0]?.result === 'Succeeded' || s.runs?.[0]?.result === 'Failed';

const eventsOf = (name: string) => eventsAbout(cluster, suite.namespace(), name);

describe('why a run failed', () => {
  it('puts the exit code, the reason and the last log line in the status, the condition and the RunFailed event', async () => {
    const log = 'cloning Thurbeen/thurkube\nFATAL: Missing required env var: CLAUDE_CODE_OAUTH_TOKEN\n';
    await oneShot('failing', { env: env({ [OUTCOME_ENV]: 'fail', [MESSAGE_ENV]: log }) });
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'failing',
      'a failed run',
      (s) => s.phase === 'Failed' && finished(s),
    );
    const job = status.runs?.[0]?.jobName ?? '';
    expect(job).toBe(`failing-${status.configHash}`);
    const expected = `run ${job} failed: exit code 1 (Error): FATAL: Missing required env var: CLAUDE_CODE_OAUTH_TOKEN`;
    expect(status.message).toBe(expected);
    expect(status.runs?.[0]).toMatchObject({
      jobName: job,
      trigger: 'Create',
      result: 'Failed',
      exitCode: 1,
      reason: 'Error',
      message: 'exit code 1 (Error): FATAL: Missing required env var: CLAUDE_CODE_OAUTH_TOKEN',
    });
    expect(status.runs?.[0]?.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status.runs?.[0]?.completionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status.failedRuns).toBe(1);
    expect(status.succeededRuns).toBe(0);
    expect(condition(status, 'LastRunSucceeded')).toMatchObject({
      status: 'False',
      reason: 'Error',
      message: expected,
    });
    const failedEvent = await eventually('the RunFailed event', async () =>
      (await eventsOf('failing')).find((e) => e.reason === 'RunFailed'),
    );
    expect(failedEvent).toMatchObject({ type: 'Warning', note: expected });
  });

  it('says which memory limit an OOMKilled agent exceeded', async () => {
    await oneShot('hungry', {
      resources: { limits: { memory: '256Mi' } },
      env: env({ [OUTCOME_ENV]: 'fail', [EXIT_CODE_ENV]: '137', [REASON_ENV]: 'OOMKilled' }),
    });
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'hungry',
      'an OOMKilled run',
      (s) => s.phase === 'Failed' && finished(s),
    );
    expect(status.runs?.[0]).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(status.message).toContain(
      'failed: exit code 137 (OOMKilled): the agent used more than its memory limit of 256Mi (spec.resources.limits.memory)',
    );
  });

  it('says that a run was stopped by timeoutSeconds', async () => {
    await oneShot('slow', { timeoutSeconds: 2, env: env({ [RUN_FOR_ENV]: '5m' }) });
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'slow',
      'a timed-out run',
      (s) => s.phase === 'Failed' && finished(s),
    );
    expect(status.runs?.[0]).toMatchObject({ result: 'Failed', reason: 'DeadlineExceeded' });
    expect(status.message).toMatch(/^run slow-[0-9a-f]{16} failed: stopped after timeoutSeconds \(2 s\)/);
  });

  it('says why a pod never started: a missing Secret key, as the kubelet reports it', async () => {
    const waiting = `CreateContainerConfigError: couldn't find key token in Secret ${suite.namespace()}/claude-oauth`;
    await oneShot('stuck', { env: env({ [WAITING_ENV]: waiting }) });
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'stuck',
      'a run that has not started',
      (s) => !!s.runs?.[0]?.reason,
    );
    expect(status.phase).toBe('Pending');
    expect(status.runs?.[0]).toMatchObject({ result: 'Pending', reason: 'CreateContainerConfigError' });
    expect(status.message).toBe(`run ${status.runs?.[0]?.jobName} has not started: ${waiting}`);
    const event = await eventually('the RunNotStarted event', async () =>
      (await eventsOf('stuck')).find((e) => e.reason === 'RunNotStarted'),
    );
    expect(event?.note).toContain("couldn't find key token");
  });
});

describe('what a run produced', () => {
  it('records the outputs a runtime wrote to its termination message, bounded, and counts cost and tokens', async () => {
    const result = {
      summary: 'Fixed the flaky test in ci.yml and opened a pull request.',
      pullRequests: ['https://github.com/Thurbeen/thurkube/pull/42', 'not a url'],
      costUsd: 0.42,
      inputTokens: 12000,
      outputTokens: 3400,
      branch: 'fix/flaky-ci',
      nested: { dropped: true },
      token: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    };
    await oneShot('productive', { env: env({ [MESSAGE_ENV]: JSON.stringify(result) }) });
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'productive',
      'a succeeded run',
      (s) => s.phase === 'Succeeded' && finished(s),
    );
    expect(status.runs?.[0]?.outputs).toEqual({
      summary: 'Fixed the flaky test in ci.yml and opened a pull request.',
      pullRequests: ['https://github.com/Thurbeen/thurkube/pull/42'],
      costUsd: 0.42,
      inputTokens: 12000,
      outputTokens: 3400,
      branch: 'fix/flaky-ci',
      token: '[redacted]',
    });
    expect(status.runs?.[0]).toMatchObject({ result: 'Succeeded', exitCode: 0, reason: 'Completed' });
    expect(status.message).toMatch(
      /succeeded in \d+s: Fixed the flaky test in ci\.yml and opened a pull request\.$/,
    );
    expect(status.lastSuccessfulTime).toBe(status.runs?.[0]?.completionTime);
    expect(condition(status, 'LastRunSucceeded')?.status).toBe('True');

    const metrics = suite.controller().metrics.registry.render();
    expect(metrics).toContain(`thurkube_agentjob_cost_usd_total{namespace="${suite.namespace()}"} 0.42`);
    expect(metrics).toContain(`thurkube_agentjob_input_tokens_total{namespace="${suite.namespace()}"} 12000`);
    expect(metrics).toContain(`thurkube_agentjob_output_tokens_total{namespace="${suite.namespace()}"} 3400`);
    expect(metrics).toMatch(
      new RegExp(`thurkube_agentjob_runs_total\\{namespace="${suite.namespace()}",result="Succeeded"\\} 1`),
    );
    expect(metrics).toMatch(
      new RegExp(
        `thurkube_agentjob_run_duration_seconds_count\\{namespace="${suite.namespace()}",result="Succeeded"\\} 1`,
      ),
    );
  });
});

describe('the history of a scheduled AgentJob', () => {
  it('records three run-now runs newest first, with their triggers and the counters', async () => {
    const aj = example('AgentJob', 'minimal');
    aj.metadata.name = 'nightly';
    aj.spec = { ...aj.spec, schedule: '0 3 * * *', concurrencyPolicy: 'Allow' };
    await applyManifest(cluster, suite.namespace(), aj);
    await statusWhen(cluster, suite.namespace(), 'nightly', 'Scheduled', (s) => s.phase === 'Scheduled');
    for (const value of ['one', 'two', 'three']) {
      await cluster.kubectl([
        'annotate',
        '-n',
        suite.namespace(),
        'agentjob',
        'nightly',
        `thurkube.thurbeen.eu/run-now=${value}`,
        '--overwrite',
      ]);
      await statusWhen(
        cluster,
        suite.namespace(),
        'nightly',
        `run-now ${value} handled and finished`,
        (s) => s.handledRunNow === value && finished(s),
      );
    }
    const status = await statusWhen(
      cluster,
      suite.namespace(),
      'nightly',
      'three succeeded runs',
      (s) => s.succeededRuns === 3,
    );
    expect(status.runs?.map((r) => [r.trigger, r.result])).toEqual([
      ['RunNow', 'Succeeded'],
      ['RunNow', 'Succeeded'],
      ['RunNow', 'Succeeded'],
    ]);
    const starts = status.runs?.map((r) => Date.parse(r.startTime ?? '')) ?? [];
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    expect(new Set(status.runs?.map((r) => r.jobName)).size).toBe(3);
    expect(status.failedRuns).toBe(0);
    expect(status.runCounts).toBe('3 ok, 0 failed');
  });

  it('shows the last result in kubectl get, its duration and the counts with -o wide, and the runs in describe', async () => {
    const get = await cluster.kubectl(['get', 'aj', 'nightly', '-n', suite.namespace()]);
    expect(get.stdout.split('\n')[0]).toMatch(
      /NAME\s+SCHEDULE\s+SUSPENDED\s+PHASE\s+LAST RUN\s+LAST RESULT$/,
    );
    expect(get.stdout.split('\n')[1]).toMatch(/\sSucceeded$/);
    const wide = await cluster.kubectl(['get', 'aj', 'nightly', '-n', suite.namespace(), '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/LAST RESULT\s+DURATION\s+RUNS\s+RUNTIME/);
    expect(wide.stdout.split('\n')[1]).toMatch(/Succeeded\s+\d+s\s+3 ok, 0 failed\s+claude-code/);
    const describe = await cluster.kubectl(['describe', 'aj', 'nightly', '-n', suite.namespace()]);
    const lines = describe.stdout.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'Recent Runs:');
    expect(at).toBeGreaterThan(0);
    for (const line of lines.slice(at + 1, at + 4))
      expect(line).toMatch(
        /^\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}RunNow {4}Succeeded in \d+s\s+nightly-now-[0-9a-f]{5}$/,
      );
  });
});
