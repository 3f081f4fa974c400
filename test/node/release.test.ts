/**
 * The release path, for real, on loopback: `npm run release` pushes the image built from the
 * Dockerfile and the packaged chart to the cluster's OCI registry (distribution, HTTPS with the
 * cluster's CA); the chart is installed exactly as the product page says, from
 * oci://127.0.0.1:PORT/charts/thurkube, with the local profile's values only; the real node pulls
 * the image from the registry; both Deployments become Available, and the everyday questions
 * about the AgentJobs it runs are answered by `kubectl thurkube` (run now, its log, why, history).
 */
import { readFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { importImages } from '../../dev/cluster/node/node.js';
import { freePorts } from '../../dev/cluster/ports.js';
import { run } from '../../dev/cluster/run.js';
import { productImage } from '../../dev/images/images.js';
import { nodeBaseImage } from '../../dev/images/node-base.js';
import { IMAGES } from '../../dev/images/versions.js';
import { localProfileValueArgs } from '../../dev/real-stack.js';
import { pluginEnvironment } from '../support/plugin.js';
import { realNodeNamespace, testAgentJob, testAgentObjects } from '../support/test-agent.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
const node = inject('realNode');
const registry = inject('registry');
const apiServer = inject('apiServer');
const plugin = pluginEnvironment(cluster.binaries.kubectl);
const ROOT = join(import.meta.dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CHART_REF = `oci://${registry.host}/charts/thurkube`;
/** helm verifies the registry as it verifies GHCR: the CA is trusted, nothing is skipped. */
const trustRegistry = { SSL_CERT_FILE: registry.caFile };
const helm = (args: string[]) =>
  run(cluster.binaries.helm, ['--kubeconfig', cluster.kubeconfig, ...args], undefined, {
    ...process.env,
    ...trustRegistry,
  });
const kt = (args: string[]) => plugin.thurkube(['--kubeconfig', cluster.kubeconfig, '-n', ns, ...args]);
const lines = (text: string) => text.trimEnd().split('\n');
const ctr = (args: string[]) => run(node.ctr, ['--address', node.containerdSocket, '-n', 'k8s.io', ...args]);

let released: { image: string; imageDigest: string; chartDigest: string };
let ns = '';
/** Length of the registry's log before the install: what the node fetched is after it. */
let logBefore = 0;

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string; containers: { image: string; imagePullPolicy: string }[] };
  status: { containerStatuses?: { imageID: string; ready: boolean }[] };
}
const json = async <T>(args: string[]): Promise<T> => {
  const r = await cluster.kubectl([...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
};

beforeAll(async () => {
  const r = await run('npm', [
    'run',
    '--silent',
    'release',
    '--',
    '--registry',
    registry.host,
    '--ca-file',
    registry.caFile,
  ]);
  if (r.code !== 0) throw new Error(`npm run release failed:\n${r.stderr}`);
  const image = /^image {2}(\S+)@(sha256:[0-9a-f]{64})$/m.exec(r.stdout);
  const chart = /^chart {2}(\S+)@(sha256:[0-9a-f]{64})$/m.exec(r.stdout);
  if (!image?.[1] || !image[2] || !chart?.[2]) throw new Error(`unexpected release output:\n${r.stdout}`);
  released = { image: image[1], imageDigest: image[2], chartDigest: chart[2] };
  // The node had the product image imported (for the other suites): without it, the layers of
  // the image that are its own can only come from the registry.
  await removeImage(IMAGES.product);
  logBefore = readFileSync(registry.log, 'utf8').length;
}, 900_000);

afterAll(async () => {
  await helm(['uninstall', 'thurkube', '--namespace', 'thurkube-system', '--wait']).catch(() => undefined);
  await cluster.deleteNamespaces();
  // Back as the node-setup left it, for the suites after this one.
  await importImages(node, [(await productImage(await nodeBaseImage(), () => {})).archive]);
});

describe('npm run release', () => {
  it('prints its usage, and pushes one version of the image and the chart side by side', async () => {
    const help = await run('npm', ['run', '--silent', 'release', '--', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run release -- --registry HOST\[:PORT\]\[\/PATH\]/);
    expect(released.image).toBe(`${registry.host}/thurkube:${VERSION}`);
    const catalog = await fetchRegistry('/v2/_catalog');
    expect(JSON.parse(catalog).repositories).toEqual(['charts/thurkube', 'thurkube']);
    const chart = await helm(['show', 'chart', CHART_REF, '--version', VERSION]);
    expect(chart.code, chart.stderr).toBe(0);
    expect(chart.stderr).toContain(`Digest: ${released.chartDigest}`);
    const meta = parse(chart.stdout) as { version: string; appVersion: string };
    expect([meta.version, meta.appVersion]).toEqual([VERSION, VERSION]);
    const values = parse((await helm(['show', 'values', CHART_REF])).stdout) as {
      image: { repository: string; tag: string; pullPolicy: string };
    };
    expect(values.image).toEqual({
      repository: `${registry.host}/thurkube`,
      tag: '',
      pullPolicy: 'IfNotPresent',
    });
  });

  it('refuses a registry it cannot name, before building anything', async () => {
    const r = await run('npm', ['run', '--silent', 'release', '--', '--registry', 'oci://ghcr.io/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'release: --registry "oci://ghcr.io/x": name the registry without a scheme, e.g. ghcr.io/x\n',
    );
  });
});

describe('helm install from the registry, as the product page says', () => {
  beforeAll(async () => {
    const [admissionPort = 0, metricsPort = 0] = await freePorts(2);
    const install = await helm([
      'install',
      'thurkube',
      CHART_REF,
      '--namespace',
      'thurkube-system',
      '--create-namespace',
      // The local profile: the node's network on 127.0.0.1, the API server at 127.0.0.1, webhooks
      // by URL, the real node's taint tolerated. Nothing about the image.
      ...localProfileValueArgs({ apiServer, admissionPort, metricsPort }),
      '--wait',
      '--timeout',
      '5m',
    ]);
    if (install.code !== 0) throw new Error(`helm install failed:\n${install.stderr}`);
  }, 600_000);

  it('brings both Deployments to Available, their image pulled by the node from the registry', async () => {
    await eventually(
      'admission 2/2 and controller 1/1 available',
      async () => {
        const [admission, controller] = await Promise.all(
          ['thurkube-admission', 'thurkube-controller'].map((d) =>
            json<{ status: { availableReplicas?: number } }>([
              'get',
              'deployment',
              '-n',
              'thurkube-system',
              d,
            ]),
          ),
        );
        return admission?.status.availableReplicas === 2 && controller?.status.availableReplicas === 1;
      },
      120_000,
      500,
    );
    const pods = (await json<{ items: Pod[] }>(['get', 'pods', '-n', 'thurkube-system'])).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.spec.containers[0]).toMatchObject({
        image: released.image,
        imagePullPolicy: 'IfNotPresent',
      });
      expect(pod.status.containerStatuses?.[0]?.imageID).toBe(
        `${registry.host}/thurkube@${released.imageDigest}`,
      );
    }
    const events = await cluster.kubectl([
      'get',
      'events',
      '-n',
      'thurkube-system',
      '--field-selector',
      'reason=Pulled',
    ]);
    expect(events.stdout).toContain(`Successfully pulled image "${released.image}"`);
    // The registry's access log: containerd resolved the tag and fetched the image's own layers.
    const fetched = readFileSync(registry.log, 'utf8')
      .slice(logBefore)
      .split('\n')
      .filter((l) => l.includes('"containerd/') && / 200 /.test(l));
    expect(fetched.some((l) => l.includes(`/v2/thurkube/manifests/${VERSION} `))).toBe(true);
    expect(fetched.filter((l) => /"GET \/v2\/thurkube\/blobs\/sha256:/.test(l)).length).toBeGreaterThan(0);
  });
});

describe('kubectl thurkube on the installed release, runs in real containers', () => {
  beforeAll(async () => {
    ns = await realNodeNamespace(cluster, 'released');
    const scheduled = (name: string, env = '') => testAgentJob(ns, name, `  schedule: "0 3 1 1 *"\n${env}`);
    const applied = await cluster.kubectl(
      ['apply', '-f', '-'],
      [
        testAgentObjects(ns),
        scheduled('nightly'),
        scheduled('flaky', '  env: [{ name: THURKUBE_TEST_OUTCOME, value: fail }]'),
        scheduled('slow', '  env: [{ name: THURKUBE_TEST_RUN_FOR, value: 6s }]'),
      ].join('\n---\n'),
    );
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('runs an AgentJob now and follows it to Succeeded; logs prints what the agent wrote', async () => {
    const ran = await kt(['run', 'nightly', '--wait']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(lines(ran.stdout).at(-1)).toMatch(/^run nightly-now-[0-9a-f]{5} succeeded in \d+s$/);
    const logs = await kt(['logs', 'nightly']);
    expect(logs.code, logs.stderr).toBe(0);
    const report = JSON.parse(lines(logs.stdout).find((l) => l.includes('"thurkubeTestAgent"')) ?? '{}');
    expect(report).toMatchObject({ ok: true, prompt: 'Prompt of nightly.', uid: 65532, failed: [] });
    expect(lines(logs.stdout).at(-1)).toBe('thurkube-test-agent: every check passed');
  });

  it('exits 1 for a failed run, with the agent’s last line; why and history say the same', async () => {
    const ran = await kt(['run', 'flaky', '--wait']);
    expect(ran.code).toBe(1);
    const said = 'exit code 1 (Error): thurkube-test-agent: failing as steered (THURKUBE_TEST_OUTCOME=fail)';
    expect(lines(ran.stdout).at(-1)).toMatch(
      new RegExp(`^run (flaky-now-[0-9a-f]{5}) failed: ${literal(said)}$`),
    );
    const why = await kt(['why', 'flaky']);
    expect(why.code, why.stderr).toBe(0);
    const out = lines(why.stdout);
    expect(out[0]).toMatch(
      new RegExp(
        `^AgentJob ${ns}/flaky: Scheduled: last run flaky-now-[0-9a-f]{5} failed: ${literal(said)}; next run at `,
      ),
    );
    expect(out).toContain(`  next step: read its log: kubectl thurkube logs flaky -n ${ns}`);
    expect(out).toContain('  0 succeeded, 1 failed since it was created; no success yet');
    const history = await kt(['history', 'flaky']);
    expect(lines(history.stdout)[1]).toMatch(
      new RegExp(`^1 +\\S+Z +RunNow +Failed +\\d+s +flaky-now-[0-9a-f]{5} +${literal(said)}$`),
    );
    const logs = await kt(['logs', 'flaky', '--tail', '1']);
    expect(logs.stdout).toBe('thurkube-test-agent: failing as steered (THURKUBE_TEST_OUTCOME=fail)\n');
  });

  it('prints the log of an earlier run with --run K', async () => {
    const second = await kt(['run', 'nightly', '--wait']);
    expect(second.code, second.stderr).toBe(0);
    const jobs = lines((await kt(['history', 'nightly'])).stdout)
      .slice(1, 3)
      .map((l) => l.split(/ +/)[5]);
    expect(jobs).toHaveLength(2);
    const latest = await kt(['logs', 'nightly', '--run', '1', '--timestamps']);
    const earlier = await kt(['logs', 'nightly', '--run', '2', '--timestamps']);
    expect(latest.stdout).not.toBe(earlier.stdout);
    const byJob = await kt(['logs', 'nightly', '--run', jobs[1] ?? '', '--timestamps']);
    expect(byJob.stdout).toBe(earlier.stdout);
    expect(earlier.stdout).toMatch(/^20\d\d-\S+Z \{"thurkubeTestAgent":1,/);
  });

  it('follows the log of a run in progress with -f until it ends', async () => {
    const started = await kt(['run', 'slow']);
    expect(started.code, started.stderr).toBe(0);
    // The agent writes nothing for 6 s, then its report: only a followed log has it.
    const followed = await kt(['logs', 'slow', '-f']);
    expect(followed.code, followed.stderr).toBe(0);
    expect(lines(followed.stdout).at(-1)).toBe('thurkube-test-agent: every check passed');
  });
});

/**
 * Removes an image from the node's containerd with its content: every name of it (the CRI plugin
 * also names each image by its ID, `sha256:<config>`), then garbage collection at once.
 */
async function removeImage(ref: string): Promise<void> {
  const listed = await ctr(['images', 'ls']);
  const rows = lines(listed.stdout)
    .slice(1)
    .map((l) => l.split(/\s+/));
  const digest = rows.find((r) => r[0] === ref)?.[2];
  if (!digest) throw new Error(`no image ${ref} on the node:\n${listed.stdout}`);
  const names = rows.filter((r) => r[2] === digest).map((r) => r[0] ?? '');
  const removed = await ctr(['images', 'rm', '--sync', ...names]);
  if (removed.code !== 0) throw new Error(removed.stderr);
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A GET of the registry's API, verifying it with the cluster's CA. */
function fetchRegistry(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(`https://${registry.host}${path}`, { ca: readFileSync(registry.caFile) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode} ${body}`)),
      );
    });
    req.on('error', reject);
  });
}
