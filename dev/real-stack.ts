/**
 * thurkube installed by its Helm chart onto the local cluster's real node: both services run as
 * pods from the image built here (`localhost/thurkube:dev`, never pulled), on the node's network
 * and bound to 127.0.0.1 (nothing may leave loopback: probes, webhook calls and their clients'
 * calls to the API server all stay on 127.0.0.1), tolerating the real node's taint. Used by the
 * helm-install suite and `npm start`.
 */
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { REAL_NODE_LABEL, REAL_NODE_TAINT } from './cluster/node/constants.js';
import { freePorts } from './cluster/ports.js';
import { type RunResult, run } from './cluster/run.js';
import { IMAGES } from './images/versions.js';
import { CHART, RELEASE, RELEASE_NAMESPACE } from './local-stack.js';

export interface RealStackOptions {
  kubeconfig: string;
  helm: string;
  kubectl: string;
  /** The API server's URL (https://127.0.0.1:PORT): in-cluster clients dial it directly. */
  apiServer: string;
  /** Image tag (the archive imported into the node); default `dev`. */
  tag?: string;
  release?: string;
  namespace?: string;
  /** Extra `--set`-style values, e.g. replicas. */
  values?: Record<string, string | number | boolean>;
}

export interface RealStack {
  release: string;
  namespace: string;
  admissionPort: number;
  metricsPort: number;
  /** The `helm` arguments of the values used, so an upgrade can keep them. */
  valueArgs: string[];
}

const toleration = { ...REAL_NODE_TAINT, operator: 'Equal' };

/** Values for the chart's local profile with the image imported into the node (never pulled). */
export function realNodeValueArgs(o: {
  apiServer: string;
  admissionPort: number;
  metricsPort: number;
  tag: string;
  values?: Record<string, string | number | boolean>;
}): string[] {
  return localProfileValueArgs({
    ...o,
    values: {
      'image.repository': IMAGES.product.split(':')[0] ?? '',
      'image.tag': o.tag,
      'image.pullPolicy': 'Never',
      ...o.values,
    },
  });
}

/**
 * What the chart needs on the real node, whatever image it runs: the node's network with both
 * services bound to 127.0.0.1 on the given ports, in-cluster clients dialling the API server at
 * 127.0.0.1, the webhooks registered by URL, the node's taint tolerated.
 */
export function localProfileValueArgs(o: {
  apiServer: string;
  admissionPort: number;
  metricsPort: number;
  values?: Record<string, string | number | boolean>;
}): string[] {
  const api = new URL(o.apiServer);
  const strings: Record<string, string | number | boolean> = {
    'hostNetwork.enabled': true,
    'hostNetwork.bindAddress': '127.0.0.1',
    'hostNetwork.admissionPort': o.admissionPort,
    'hostNetwork.metricsPort': o.metricsPort,
    'apiServer.host': api.hostname,
    'apiServer.port': api.port,
    'webhook.url': `https://127.0.0.1:${o.admissionPort}`,
    ...o.values,
  };
  const args = Object.entries(strings).flatMap(([k, v]) => [
    typeof v === 'string' ? '--set-string' : '--set',
    `${k}=${v}`,
  ]);
  for (const component of ['admission', 'controller']) {
    args.push('--set-json', `${component}.tolerations=${JSON.stringify([toleration])}`);
    args.push('--set-json', `${component}.nodeSelector=${JSON.stringify(REAL_NODE_LABEL)}`);
  }
  return args;
}

/**
 * Namespace annotations that send every pod of a namespace to the real node (the API server's
 * PodNodeSelector and PodTolerationRestriction admission plugins): agent runs there really run.
 */
export const REAL_NODE_NAMESPACE_ANNOTATIONS = {
  'scheduler.alpha.kubernetes.io/node-selector': Object.entries(REAL_NODE_LABEL)
    .map(([k, v]) => `${k}=${v}`)
    .join(','),
  'scheduler.alpha.kubernetes.io/defaultTolerations': JSON.stringify([toleration]),
};

async function must(what: string, result: Promise<RunResult>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed:\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * `helm upgrade --install` of the chart in its namespace (created with Pod Security `privileged`
 * enforced, the level hostNetwork needs, and `restricted` warned and audited), waiting until both
 * Deployments are available.
 */
export async function installOnRealNode(o: RealStackOptions): Promise<RealStack> {
  const release = o.release ?? RELEASE;
  const namespace = o.namespace ?? RELEASE_NAMESPACE;
  const [admissionPort = 0, metricsPort = 0] = await freePorts(2);
  const kubectl = (args: string[], input?: string) =>
    run(o.kubectl, ['--kubeconfig', o.kubeconfig, ...args], input);
  await must(
    `creating namespace ${namespace}`,
    kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'privileged',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
          },
        },
      }),
    ),
  );
  const valueArgs = realNodeValueArgs({
    apiServer: o.apiServer,
    admissionPort,
    metricsPort,
    tag: o.tag ?? 'dev',
    values: o.values,
  });
  await must(
    'helm install',
    run(o.helm, [
      '--kubeconfig',
      o.kubeconfig,
      'upgrade',
      '--install',
      release,
      CHART,
      '--namespace',
      namespace,
      ...valueArgs,
      '--wait',
      '--timeout',
      '5m',
    ]),
  );
  return { release, namespace, admissionPort, metricsPort, valueArgs };
}

export interface RunningRealStack extends RealStack {
  /** Stops the log streams (the pods stop with the cluster). */
  stop(): Promise<void>;
}

/**
 * Follows both services' logs from their pods (`kubectl logs -f` through the API server and the
 * kubelet, as a user would), one line at a time.
 */
export function streamServiceLogs(
  o: { kubeconfig: string; kubectl: string; namespace: string },
  onLine: (service: 'admission' | 'controller', line: string) => void,
): () => void {
  const children = (['admission', 'controller'] as const).map((service) => {
    const child = spawn(
      o.kubectl,
      [
        '--kubeconfig',
        o.kubeconfig,
        'logs',
        '-f',
        '-n',
        o.namespace,
        '-l',
        `app.kubernetes.io/component=${service}`,
        '--max-log-requests=10',
        '--tail=-1',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let i = buffered.indexOf('\n');
      while (i >= 0) {
        onLine(service, buffered.slice(0, i));
        buffered = buffered.slice(i + 1);
        i = buffered.indexOf('\n');
      }
    });
    return child;
  });
  return () => {
    for (const child of children) child.kill('SIGTERM');
  };
}

/**
 * The examples as `npm start` applies them on the real node: the `agents` namespace sends its
 * pods to the real node, the example runtime runs the test agent image (the real agent image
 * cannot be pulled here, and nothing may be pulled), and the scheduled example's claim gets a
 * hostPath volume under the cluster's directory (there is no provisioner).
 */
export async function applyExamplesOnRealNode(o: {
  kubeconfig: string;
  kubectl: string;
  files: string[];
  dataDir: string;
}): Promise<void> {
  const kubectl = (args: string[], input?: string) =>
    run(o.kubectl, ['--kubeconfig', o.kubeconfig, ...args], input);
  mkdirSync(o.dataDir, { recursive: true });
  chownSync(o.dataDir, 65532, 65532);
  for (const file of o.files) {
    let text = readFileSync(file, 'utf8');
    if (/^kind: AgentRuntime$/m.test(text))
      text = text.replace(/^( {2}image: ).*$/m, `$1${IMAGES.testAgent}`);
    await must(`applying ${file}`, kubectl(['apply', '-f', '-'], text));
    if (/^kind: Namespace$/m.test(text)) {
      const name = /^ {2}name: (\S+)$/m.exec(text)?.[1] ?? 'agents';
      await must(
        `sending the pods of namespace ${name} to the real node`,
        kubectl([
          'annotate',
          '--overwrite',
          'namespace',
          name,
          ...Object.entries(REAL_NODE_NAMESPACE_ANNOTATIONS).map(([k, v]) => `${k}=${v}`),
        ]),
      );
      await must(
        'a volume for the scheduled example',
        kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: `${name}-pr-fixer-data` },
            spec: {
              capacity: { storage: '1Gi' },
              accessModes: ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Retain',
              hostPath: { path: o.dataDir, type: 'Directory' },
              claimRef: { namespace: name, name: 'pr-fixer-data' },
            },
          }),
        ),
      );
    }
  }
}
