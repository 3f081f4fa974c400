/**
 * `npm start` stops everything it started, however it is stopped: SIGTERM to its process group,
 * its terminal closed (SIGHUP to the group), SIGKILL to the group (its cluster's watchdog, in a
 * group of its own, stops the cluster), and when even the watchdog was killed, the next
 * `npm start` cleans up what both left. Each run is the real `npm start`, as a terminal runs it:
 * npm and its children in one process group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../dev/cluster/cluster.js';
import { mountsUnder } from '../../dev/cluster/node/cleanup.js';
import { isAlive } from '../../dev/cluster/processes.js';
import { run as runCommand } from '../../dev/cluster/run.js';
import { eventually } from '../support/testing.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Run {
  child: ChildProcess;
  output: () => string;
  dir: string;
  state: ClusterState;
}

const runs: Run[] = [];

async function npmStart(): Promise<Run> {
  let output = '';
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const kubeconfig = await eventually(
    'npm start to print KUBECONFIG',
    () => {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
      return /^KUBECONFIG=(.+)$/m.exec(output)?.[1];
    },
    600_000,
    250,
  );
  const dir = dirname(kubeconfig);
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ClusterState;
  const run = { child, output: () => output, dir, state };
  runs.push(run);
  return run;
}

/** Every process the run started: the cluster's, its watchdog, and the services (npm's group). */
function pidsOf(run: Run): number[] {
  return [...run.state.processes.map((p) => p.pid), run.state.owner?.watchdogPid ?? 0].filter(Boolean);
}

async function expectAllGone(run: Run): Promise<void> {
  await eventually(
    `every process of ${run.dir} to stop`,
    () => pidsOf(run).every((pid) => !isAlive(pid)),
    120_000,
    250,
  );
  await eventually(`${run.dir} to be removed`, () => !existsSync(run.dir), 30_000);
  expect(mountsUnder(run.dir)).toEqual([]);
  if (run.state.realNode) {
    expect(existsSync(`/sys/class/net/${run.state.realNode.bridge}`)).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/memory${run.state.realNode.cgroupRoot}`)).toBe(false);
  }
}

const killGroup = (run: Run, signal: NodeJS.Signals) => process.kill(-(run.child.pid ?? 0), signal);

afterEach(async () => {
  // Whatever a failed test left: the runs' own processes, by pid.
  for (const run of runs.splice(0)) {
    try {
      process.kill(-(run.child.pid ?? 0), 'SIGTERM');
    } catch {}
    await eventually('cleanup', () => pidsOf(run).every((pid) => !isAlive(pid)), 120_000).catch(
      () => undefined,
    );
  }
});

describe('npm start, however it is stopped, stops everything it started', () => {
  it('runs on the real node (services as pods, the examples really run, logs streamed), then SIGTERM to its process group', async () => {
    const run = await npmStart();
    expect(pidsOf(run).every(isAlive)).toBe(true);
    expect(run.output()).toContain('[start] with a real node: kubelet on containerd');
    expect(run.state.realNode?.name).toBe('real-node-0');
    const kubectl = (args: string[]) =>
      runCommand(run.state.binaries.kubectl, ['--kubeconfig', run.state.kubeconfig, ...args]);
    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      'thurkube-system',
      '-o',
      'jsonpath={.items[*].spec.nodeName}',
    ]);
    expect(pods.stdout.split(' ')).toEqual(['real-node-0', 'real-node-0', 'real-node-0']);
    const report = await eventually(
      'the one-shot example run to finish',
      async () => {
        const logs = await kubectl(['logs', '-n', 'agents', '-l', 'thurkube.thurbeen.eu/agentjob=summarize']);
        return logs.stdout.includes('"thurkubeTestAgent"') ? logs.stdout : undefined;
      },
      120_000,
      1000,
    );
    expect(report).toContain('"ok":true');
    expect(report).toContain(`"prompt":"Summarize today's incoming issues."`);
    await eventually(
      'the services’ logs streamed from their pods',
      () => /^admission {2}\| \{/m.test(run.output()) && /^controller \| \{/m.test(run.output()),
      60_000,
    );
    killGroup(run, 'SIGTERM');
    await expectAllGone(run);
  });

  it('its terminal closed (SIGHUP to the group)', async () => {
    const run = await npmStart();
    killGroup(run, 'SIGHUP');
    await expectAllGone(run);
  });

  it('SIGKILL to the group: the watchdog stops the cluster', async () => {
    const run = await npmStart();
    killGroup(run, 'SIGKILL');
    await expectAllGone(run);
  });

  it('SIGKILL to the group and the watchdog: the next npm start cleans up', async () => {
    const first = await npmStart();
    process.kill(first.state.owner?.watchdogPid ?? 0, 'SIGKILL');
    killGroup(first, 'SIGKILL');
    const orphans = first.state.processes.map((p) => p.pid);
    // Left running, reparented: what the next run must find.
    await new Promise((r) => setTimeout(r, 1000));
    expect(orphans.filter(isAlive).length).toBe(orphans.length);
    const second = await npmStart();
    expect(second.output()).toContain(
      `cleaning up after a run that was killed (pid ${first.state.owner?.pid})`,
    );
    await expectAllGone(first);
    killGroup(second, 'SIGTERM');
    await expectAllGone(second);
    // Two npm starts, each bringing up a real node, and two clean-ups: twice the project's budget
    // (the test took 73 s alone, and over 240 s once under the whole suite's load).
  }, 480_000);
});
