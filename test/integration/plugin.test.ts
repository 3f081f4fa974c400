/**
 * `kubectl thurkube` against the real control plane (kwok runs the pods, the controller runs in
 * this process), run by the pinned kubectl from the executables package.json installs, its
 * output read as a user reads it. The agent's log needs a real container: test/node/release.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { RunningController } from '../../controller/controller.js';
import { installCrds } from '../../dev/cluster/crds.js';
import { MESSAGE_ENV, OUTCOME_ENV, RUN_FOR_ENV } from '../../dev/cluster/kwok-stages.js';
import { allCrdsYaml } from '../../shared/crd/yaml.js';
import { ANNOTATION_RUN_NOW } from '../../shared/labels.js';
import { example } from '../fixtures/load.js';
import { pluginEnvironment } from '../support/plugin.js';
import { testCluster } from '../support/testing.js';
import {
  applyManifest,
  applyReferences,
  getAgentJob,
  startTestController,
  statusWhen,
} from './controller-helpers.js';

const cluster = testCluster();
const plugin = pluginEnvironment(cluster.binaries.kubectl);
const kt = plugin.thurkube;
const k = ['--kubeconfig', cluster.kubeconfig];
let ns = '';
let controller: RunningController;

const agentJob = (name: string, spec: Record<string, unknown> = {}) => {
  const aj = example('AgentJob', 'minimal');
  aj.metadata.name = name;
  aj.spec = { ...aj.spec, ...spec };
  return aj;
};
const lines = (text: string) => text.trimEnd().split('\n');

beforeAll(async () => {
  await installCrds(cluster);
  ns = await cluster.newNamespace('plugin');
  await applyReferences(cluster, ns);
  controller = await startTestController(cluster, { namespace: ns });
  await applyManifest(
    cluster,
    ns,
    agentJob('nightly', { schedule: '0 3 * * *', env: [{ name: RUN_FOR_ENV, value: '2s' }] }),
  );
  await applyManifest(
    cluster,
    ns,
    agentJob('doomed', {
      schedule: '0 3 * * *',
      env: [
        { name: OUTCOME_ENV, value: 'fail' },
        { name: MESSAGE_ENV, value: 'starting\nFATAL: Missing required env var: GH_TOKEN' },
      ],
    }),
  );
  await applyManifest(cluster, ns, agentJob('paused', { schedule: '0 3 * * *', suspend: true }));
  await applyManifest(cluster, ns, agentJob('broken', { runtimeRef: 'no-such-runtime' }));
  await statusWhen(cluster, ns, 'nightly', 'Scheduled', (s) => s.phase === 'Scheduled');
  await statusWhen(cluster, ns, 'doomed', 'Scheduled', (s) => s.phase === 'Scheduled');
});
afterAll(async () => {
  await controller?.stop();
  await cluster.deleteNamespaces();
});

describe('kubectl thurkube, as package.json installs it', () => {
  it('is a kubectl plugin, with help for itself and every command', async () => {
    const list = await plugin.kubectl(['plugin', 'list']);
    expect(list.stdout).toContain(`${plugin.bin}/kubectl-thurkube\n`);
    const found = await kt(['--help']);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain('Usage: kubectl thurkube <command> [NAME] [options]');
    for (const verb of ['run NAME [--wait]', 'logs NAME [-f]', 'history [NAME]', 'why NAME', 'crd'])
      expect(found.stdout).toMatch(new RegExp(`^ {2}${verb.replace(/[[\]]/g, '\\$&')} `, 'm'));
    for (const verb of ['run', 'logs', 'history', 'why', 'crd']) {
      const help = await kt([verb, '--help']);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: kubectl thurkube ${verb}\\b`));
    }
    const bare = await kt([]);
    expect([bare.code, bare.stderr]).toEqual([2, expect.stringContaining('Usage: kubectl thurkube')]);
    const unknown = await kt(['frobnicate']);
    expect([unknown.code, lines(unknown.stderr)[0]]).toEqual([2, 'error: unknown command "frobnicate"']);
  });

  it('prints the CRDs of this version with crd, without a cluster', async () => {
    const r = await kt(['crd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(allCrdsYaml());
  });
});

describe('run', () => {
  it('starts a run of a scheduled AgentJob now and follows it to its end (exit 0)', async () => {
    const r = await kt([...k, 'run', 'nightly', '-n', ns, '--wait']);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    const value = /^run requested: AgentJob (\S+)\/nightly, thurkube\.thurbeen\.eu\/run-now=(\S+)$/.exec(
      out[0] ?? '',
    );
    expect(value?.[1]).toBe(ns);
    const job = new RegExp(`^Job ${ns}/(nightly-now-[0-9a-f]{5}) created for the run$`).exec(
      out[1] ?? '',
    )?.[1];
    expect(job).toBeDefined();
    expect(out.some((l) => l.startsWith(`run ${job} running`))).toBe(true);
    expect(out.at(-1)).toMatch(new RegExp(`^run ${job} succeeded in \\d+s$`));
    // Once running, never "not started" again (a container that ended before its Job says so).
    const running = out.findIndex((l) => l.startsWith(`run ${job} running`));
    expect(out.slice(running).filter((l) => l.includes('has not started'))).toEqual([]);
    const aj = await getAgentJob(cluster, ns, 'nightly');
    expect(aj.metadata.annotations?.[ANNOTATION_RUN_NOW]).toBe(value?.[2]);
    expect(aj.status?.handledRunNow).toBe(value?.[2]);
  });

  it('exits 1 when the run fails, saying how', async () => {
    const r = await kt([...k, 'run', 'doomed', '-n', ns, '--wait']);
    expect(r.code).toBe(1);
    // kwok's failure stage: exit code 1, reason Error, the message THURKUBE_TEST_MESSAGE gives.
    expect(lines(r.stdout).at(-1)).toMatch(
      /^run doomed-now-[0-9a-f]{5} failed: exit code 1 \(Error\): FATAL: Missing required env var: GH_TOKEN$/,
    );
  });

  it('returns once the run has started, without --wait', async () => {
    const r = await kt([...k, 'run', 'nightly', '-n', ns]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toHaveLength(2);
    const job = /^Job \S+\/(\S+) created for the run$/.exec(lines(r.stdout)[1] ?? '')?.[1] ?? '';
    const got = await cluster.kubectl(['get', 'job', '-n', ns, job, '-o', 'name']);
    expect(got.stdout.trim()).toBe(`job.batch/${job}`);
  });

  it('refuses a suspended AgentJob, says how to resume it, and requests nothing', async () => {
    const r = await kt([...k, 'run', 'paused', '-n', ns]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      `error: AgentJob ${ns}/paused is suspended, so a run-now would be recorded and skipped; resume it first:`,
      `  kubectl patch agentjob paused -n ${ns} --type merge -p '{"spec":{"suspend":false}}'`,
    ]);
    expect(
      (await getAgentJob(cluster, ns, 'paused')).metadata.annotations?.[ANNOTATION_RUN_NOW],
    ).toBeUndefined();
  });

  it('follows a one-shot run in progress, and says why a finished one does not run again', async () => {
    await applyManifest(cluster, ns, agentJob('once', { env: [{ name: RUN_FOR_ENV, value: '4s' }] }));
    await statusWhen(cluster, ns, 'once', 'a run', (s) => s.phase === 'Running' || s.phase === 'Succeeded');
    const follow = await kt([...k, 'run', 'once', '-n', ns, '--wait']);
    expect(follow.code, follow.stderr).toBe(0);
    expect(lines(follow.stdout)[0]).toMatch(
      new RegExp(`^AgentJob ${ns}/once is one-shot \\(one run per spec\\); its run once-[0-9a-f]{16} `),
    );
    expect(lines(follow.stdout).at(-1)).toMatch(/^run once-[0-9a-f]{16} succeeded in \d+s$/);
    const again = await kt([...k, 'run', 'once', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `^error: AgentJob ${ns}/once is one-shot: it runs once per spec, and its run once-[0-9a-f]{16} succeeded in \\d+s\\. It runs again when its spec changes; for runs on demand, give it a schedule\\.\\n$`,
      ),
    );
  });

  it('names what it cannot find, in the namespace or in any', async () => {
    const here = await kt([...k, 'run', 'nope', '-n', ns]);
    expect([here.code, here.stderr]).toEqual([1, `error: AgentJob "nope" not found in namespace "${ns}"\n`]);
    const anywhere = await kt([...k, 'run', 'nope', '-A']);
    expect([anywhere.code, anywhere.stderr]).toEqual([
      1,
      'error: AgentJob "nope" not found in any namespace\n',
    ]);
  });
});

describe('history', () => {
  it('lists the runs of an AgentJob, newest first, with how each ended and the counts', async () => {
    await statusWhen(cluster, ns, 'nightly', 'two runs recorded', (s) => (s.runs ?? []).length >= 2);
    const r = await kt([...k, 'history', 'nightly', '-n', ns]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = lines(r.stdout);
    expect(header).toMatch(/^RUN +STARTED +TRIGGER +RESULT +DURATION +JOB +MESSAGE$/);
    expect(rows.at(-1)).toMatch(
      /^\d+ succeeded, 0 failed since it was created; (last success \S+Z \(\d+\S* ago\)|no success yet)$/,
    );
    const runs = rows.slice(0, -1);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const [i, row] of runs.entries())
      expect(row).toMatch(
        new RegExp(`^${i + 1} +20\\d\\d-\\S+Z +RunNow +(Succeeded +\\d+s|Running) +nightly-now-[0-9a-f]{5}`),
      );
    const doomed = await kt([...k, 'history', 'doomed', '-n', ns]);
    expect(lines(doomed.stdout)[1]).toMatch(
      /^1 +\S+Z +RunNow +Failed +\d+s +doomed-now-[0-9a-f]{5} +exit code 1 \(Error\): FATAL: Missing required env var: GH_TOKEN$/,
    );
    expect(lines(doomed.stdout).at(-1)).toBe('0 succeeded, 1 failed since it was created; no success yet');
  });

  it('lists every AgentJob’s runs of the namespace, or of every namespace with -A', async () => {
    const here = await kt([...k, 'history', '-n', ns]);
    expect(here.code, here.stderr).toBe(0);
    expect(lines(here.stdout)[0]).toMatch(/^AGENTJOB +RUN +STARTED +/);
    expect(
      new Set(
        lines(here.stdout)
          .slice(1)
          .map((l) => l.split(/ +/)[0]),
      ),
    ).toEqual(new Set(['nightly', 'doomed', 'once']));
    const everywhere = await kt([...k, 'history', '-A']);
    expect(lines(everywhere.stdout)[0]).toMatch(/^NAMESPACE +AGENTJOB +RUN +/);
    expect(lines(everywhere.stdout).filter((l) => l.startsWith(`${ns} `)).length).toBe(
      lines(here.stdout).length - 1,
    );
  });
});

describe('logs', () => {
  it('says which runs exist when asked for one that does not', async () => {
    const missing = await kt([...k, 'logs', 'doomed', '-n', ns, '--run', '7']);
    expect([missing.code, missing.stderr]).toEqual([
      1,
      `error: AgentJob ${ns}/doomed has 1 run recorded, so no run 7: kubectl thurkube history doomed -n ${ns}\n`,
    ]);
    const noJob = await kt([...k, 'logs', 'doomed', '-n', ns, '--run', 'doomed-123']);
    expect(noJob.stderr).toBe(
      `error: AgentJob ${ns}/doomed has no run with Job "doomed-123": kubectl thurkube history doomed -n ${ns}\n`,
    );
    const none = await kt([...k, 'logs', 'broken', '-n', ns]);
    expect(none.stderr).toBe(
      `error: AgentJob ${ns}/broken has no run (phase Pending): kubectl thurkube why broken -n ${ns}\n`,
    );
  });
});

describe('why', () => {
  it('explains a Pending AgentJob: the missing reference, the next step, conditions and events', async () => {
    await statusWhen(
      cluster,
      ns,
      'broken',
      'Pending',
      (s) => s.phase === 'Pending' && !!s.conditions?.length,
    );
    const r = await kt([...k, 'why', 'broken', '-n', ns]);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toBe(
      `AgentJob ${ns}/broken: Pending: waiting for references: spec.runtimeRef: AgentRuntime "no-such-runtime" not found in namespace "${ns}"`,
    );
    expect(out).toContain(
      `  next step: create AgentRuntime "no-such-runtime" in namespace ${ns}; the AgentJob goes on by itself once it exists`,
    );
    expect(out).toContainEqual(
      expect.stringMatching(/^ {2}runtimeRef +AgentRuntime +no-such-runtime +missing$/),
    );
    expect(out).toContainEqual(
      expect.stringMatching(
        /^ {2}authRef +AgentAuth +claude-oauth +ok \(Secret claude-oauth has key token\)$/,
      ),
    );
    expect(out).toContainEqual(
      expect.stringMatching(
        /^ {2}RefsResolved +False +RefsMissing +\d+s +waiting for references: spec\.runtimeRef: /,
      ),
    );
    expect(out.slice(out.indexOf('Last run:'))[1]).toBe('  none yet');
    expect(out.slice(out.indexOf('Events:'))).toContainEqual(
      expect.stringMatching(/^ {2}\d+s +Warning +RefsMissing +AgentJob\/broken +/),
    );
  });

  it('explains a failed run: how it ended, where to look, the Job’s events', async () => {
    const r = await kt([...k, 'why', 'doomed', '-n', ns]);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out).toContain(`  next step: read its log: kubectl thurkube logs doomed -n ${ns}`);
    expect(out[out.indexOf('Last run:') + 1]).toMatch(
      /^ {2}run doomed-now-[0-9a-f]{5} failed: exit code 1 \(Error\): FATAL: Missing required env var: GH_TOKEN$/,
    );
    expect(out.slice(out.indexOf('Events:'))).toContainEqual(
      expect.stringMatching(/ +Warning +BackoffLimitExceeded +Job\/doomed-now-[0-9a-f]{5} +/),
    );
  });
});

describe('kubectl’s connection flags', () => {
  const withContext = () => {
    const config = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
      contexts: { name: string; context: Record<string, string> }[];
      'current-context': string;
    };
    const current = config.contexts.find((c) => c.name === config['current-context']);
    config.contexts.push({ name: 'agents-team', context: { ...current?.context, namespace: ns } });
    const path = join(tmpdir(), `thurkube-plugin-kubeconfig-${ns}`);
    // Certificate paths in the copy are absolute, as the harness writes them.
    writeFileSync(path, stringify(config));
    return path;
  };

  it('uses --context and its namespace, from --kubeconfig or from KUBECONFIG', async () => {
    const path = withContext();
    const flag = await kt(['--kubeconfig', path, '--context', 'agents-team', 'why', 'nightly']);
    expect(flag.code, flag.stderr).toBe(0);
    expect(lines(flag.stdout)[0]).toMatch(new RegExp(`^AgentJob ${ns}/nightly: Scheduled`));
    const env = await kt(['why', 'nightly', '--context=agents-team'], { KUBECONFIG: path });
    expect(env.code, env.stderr).toBe(0);
    const wrong = await kt(['why', 'nightly', '--context', 'nope'], { KUBECONFIG: path });
    expect([wrong.code, wrong.stderr]).toEqual([1, `error: kubeconfig ${path}: context "nope" not found\n`]);
  });

  it('finds NAME in any namespace with -A, and asks for -n when two hold it', async () => {
    const found = await kt([...k, 'why', 'broken', '-A']);
    expect(found.code, found.stderr).toBe(0);
    expect(lines(found.stdout)[0]).toContain(`AgentJob ${ns}/broken: Pending`);
    const other = await cluster.newNamespace('plugin-other');
    await applyManifest(cluster, other, agentJob('broken', { runtimeRef: 'no-such-runtime' }));
    const twice = await kt([...k, 'why', 'broken', '-A']);
    expect(twice.code).toBe(2);
    expect(lines(twice.stderr)[0]).toMatch(
      /^error: AgentJob "broken" exists in namespaces "plugin-\S+", "plugin-\S+": choose one with -n$/,
    );
  });

  it('never guesses a cluster: without a kubeconfig it says how to name one', async () => {
    const r = await kt(['why', 'nightly']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)[0]).toBe(
      'error: no kubeconfig found: pass --kubeconfig PATH, set KUBECONFIG, or create ~/.kube/config',
    );
    const both = await kt([...k, 'why', 'nightly', '-A', '-n', ns]);
    expect([both.code, lines(both.stderr)[0]]).toEqual([
      2,
      'error: -n/--namespace and -A/--all-namespaces cannot be used together',
    ]);
  });
});

describe('completion, through kubectl’s own', () => {
  it('completes commands, namespaces and AgentJob names', async () => {
    const complete = (args: string[]) => plugin.kubectl(['__complete', 'thurkube', ...args]);
    const verbs = await complete(['']);
    expect(lines(verbs.stdout)).toEqual([
      'run\tstart a run now; --wait follows it to its end',
      'logs\tthe agent log of the latest run',
      'history\tthe runs, newest first',
      'why\twhat explains the phase, on one screen',
      'crd\tprint the thurkube CRDs',
      ':4',
    ]);
    const names = await complete(['why', ...k, '-n', ns, '']);
    expect(lines(names.stdout)).toEqual(['broken', 'doomed', 'nightly', 'once', 'paused', ':4']);
    const namespaces = await complete(['why', ...k, '-n', 'plugin']);
    expect(lines(namespaces.stdout)).toContain(ns);
  });
});
