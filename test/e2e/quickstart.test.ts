/**
 * The product page's scenario through the running services, set up as `npm start` sets them up
 * (the chart's CRDs and webhooks, the admission process with its self-issued certificate, the
 * controller with leader election), on a cluster of its own: the services watch every namespace,
 * so they must not share a cluster with the other suites.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterState, startCluster, stopCluster } from '../../dev/cluster/cluster.js';
import { exampleFiles, type Stack, startStack } from '../../dev/local-stack.js';
import { FIXTURES } from '../fixtures/load.js';
import { clusterFrom, eventually } from '../support/testing.js';

let state: ClusterState;
let stack: Stack;
let cluster: ReturnType<typeof clusterFrom>;

beforeAll(async () => {
  state = await startCluster({ dir: mkdtempSync(join(tmpdir(), 'thurkube-e2e-')) });
  cluster = clusterFrom(state.kubeconfig, state.binaries);
  stack = await startStack({ kubeconfig: state.kubeconfig, binaries: state.binaries });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (state) await stopCluster(state);
});

const apply = (args: string[], input?: string) => cluster.kubectl(['apply', ...args], input);

describe('quickstart through the running services', () => {
  it('refuses an AgentJob whose references are missing, naming each one', async () => {
    await apply(['-f', exampleFiles()[0] ?? '']);
    const res = await apply(['-n', 'agents', '-f', join(FIXTURES, 'product-page', 'job.yaml')]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('admission webhook "validate.thurkube.thurbeen.eu" denied the request');
    expect(res.stderr).toContain(
      'spec.runtimeRef: AgentRuntime "claude-code" not found in namespace "agents"',
    );
    expect(res.stderr).toContain('spec.authRef: AgentAuth "claude-oauth" not found in namespace "agents"');
    expect(res.stderr).toContain('spec.roleRef: AgentRole "read-only" not found in namespace "agents"');
  });

  it('accepts the quickstart manifests once their references exist', async () => {
    // Step 2 of the product page: a runtime and an auth (with its Secret), plus the roles and repository.
    for (const file of exampleFiles().slice(2, 5)) expect((await apply(['-f', file])).stderr).toBe('');
    for (const file of ['runtime.yaml', 'job.yaml', 'agentjob.yaml']) {
      const res = await apply(['-n', 'agents', '-f', join(FIXTURES, 'product-page', file)]);
      expect(res.stderr, file).toBe('');
      expect(res.code, file).toBe(0);
    }
  });

  it('runs the one-shot AgentJob to Succeeded and schedules the other', async () => {
    const phases = await eventually(
      'summarize Succeeded and pr-fixer Scheduled',
      async () => {
        const out = await cluster.kubectl([
          'get',
          'aj',
          '-n',
          'agents',
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.status.phase} {end}',
        ]);
        return out.stdout.includes('summarize=Succeeded') && out.stdout.includes('pr-fixer=Scheduled')
          ? out.stdout
          : undefined;
      },
      90_000,
    );
    expect(phases.trim().split(' ').sort()).toEqual(['pr-fixer=Scheduled', 'summarize=Succeeded']);
  });

  it('shows NAME SCHEDULE SUSPENDED PHASE LAST RUN LAST RESULT with real values in `kubectl get aj`', async () => {
    const res = await cluster.kubectl(['get', 'aj', '-n', 'agents']);
    const [header, ...rows] = res.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'SCHEDULE',
      'SUSPENDED',
      'PHASE',
      'LAST RUN',
      'LAST RESULT',
    ]);
    expect(rows.find((r) => r.startsWith('pr-fixer'))?.trimEnd()).toMatch(
      /^pr-fixer\s+0 \*\/6 \* \* \*\s+false\s+Scheduled$/,
    );
    expect(rows.find((r) => r.startsWith('summarize'))?.trimEnd()).toMatch(
      /^summarize\s+false\s+Succeeded\s+\d+s\s+Succeeded$/,
    );
  });

  it('gave the scheduled AgentJob its CronJob in Europe/Paris and its data claim', async () => {
    const cron = await cluster.batch.readNamespacedCronJob({ name: 'pr-fixer', namespace: 'agents' });
    expect(cron.spec?.timeZone).toBe('Europe/Paris');
    const claim = await cluster.core.readNamespacedPersistentVolumeClaim({
      name: 'pr-fixer-data',
      namespace: 'agents',
    });
    expect(claim.spec?.resources?.requests?.storage).toBe('1Gi');
  });

  it('fills an omitted runtimeRef from the namespace default AgentRuntime, and only then', async () => {
    const defaulted = JSON.stringify({
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentJob',
      metadata: { name: 'defaulted' },
      spec: { authRef: 'claude-oauth', roleRef: 'read-only', prompt: 'Say hello.' },
    });
    // No default yet: the CRD's required rule answers.
    expect((await apply(['-n', 'agents', '-f', '-'], defaulted)).stderr).toContain(
      'spec.runtimeRef: Required value',
    );
    await cluster.kubectl([
      'annotate',
      '-n',
      'agents',
      'agentruntime',
      'claude-code',
      'thurkube.thurbeen.eu/default=true',
    ]);
    const res = await eventually('the default to be seen by the webhook', async () => {
      const r = await apply(['-n', 'agents', '-f', '-'], defaulted);
      return r.code === 0 ? r : undefined;
    });
    expect(res.stderr).toBe('');
    const out = await cluster.kubectl([
      'get',
      'aj',
      'defaulted',
      '-n',
      'agents',
      '-o',
      'jsonpath={.spec.runtimeRef}',
    ]);
    expect(out.stdout).toBe('claude-code');
  });
});
