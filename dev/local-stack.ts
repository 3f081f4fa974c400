/**
 * thurkube on a local control plane, set up the way the Helm chart sets it up in a cluster: the
 * chart's CRDs and webhook configurations (registered by URL to a local admission process,
 * because nothing may dial a cluster IP here), the admission service issuing its certificate into
 * a Secret and the caBundle exactly as in a cluster, and the controller with leader election.
 * Used by `npm start` and by the e2e suite.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../shared/time.js';
import type { Binaries } from './cluster/binaries.js';
import { freePorts } from './cluster/ports.js';
import { run } from './cluster/run.js';
import { type Service, startService } from './cluster/services.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHART = join(ROOT, 'charts', 'thurkube');
export const RELEASE = 'thurkube';
export const RELEASE_NAMESPACE = 'thurkube-system';
export const WEBHOOK_CONFIGURATION = `${RELEASE}-admission`;
/** The user of the local control plane's admin kubeconfig (dev/cluster/pki.ts), which runs the controller. */
export const LOCAL_CONTROLLER_USER = 'thurkube-admin';
/** As the chart names it: `<fullname>-access-key`. */
export const ACCESS_KEY_SECRET_NAME = `${RELEASE}-access-key`;

export interface StackOptions {
  kubeconfig: string;
  binaries: Binaries;
  log?: (line: string) => void;
  /** Every log line of the two services, e.g. to stream them. */
  onServiceLine?: (service: 'admission' | 'controller', line: string) => void;
  missingRefs?: 'deny' | 'warn';
}

export interface Stack {
  admissionPort: number;
  controllerPort: number;
  admission: Service;
  controller: Service;
  stop(): Promise<void>;
}

async function must(
  what: string,
  result: Promise<{ code: number; stdout: string; stderr: string }>,
): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

function httpsStatus(url: string, ca?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { ca, rejectUnauthorized: ca !== undefined, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? (() => {});
  const kubectl = (args: string[], input?: string) =>
    run(o.binaries.kubectl, ['--kubeconfig', o.kubeconfig, ...args], input);
  const [admissionPort = 0, controllerPort = 0] = await freePorts(2);

  await must(
    'creating the release namespace',
    kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: RELEASE_NAMESPACE } }),
    ),
  );
  const rendered = await must(
    'helm template',
    run(o.binaries.helm, [
      'template',
      RELEASE,
      CHART,
      '--namespace',
      RELEASE_NAMESPACE,
      '--set',
      `webhook.url=https://127.0.0.1:${admissionPort}`,
      '--show-only',
      'templates/crds.yaml',
      '--show-only',
      'templates/webhooks.yaml',
    ]),
  );
  await must(
    'installing the CRDs and webhook configurations',
    kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=helm', '-f', '-'], rendered),
  );
  await must(
    'waiting for the CRDs',
    kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd',
      '-l',
      'app.kubernetes.io/part-of=thurkube',
    ]),
  );
  log(`CRDs and webhook configurations installed (webhooks call https://127.0.0.1:${admissionPort})`);

  const admission = await startService(
    [
      'admission',
      '--kubeconfig',
      o.kubeconfig,
      '--listen',
      `127.0.0.1:${admissionPort}`,
      '--missing-refs',
      o.missingRefs ?? 'deny',
      '--cert-secret',
      `${WEBHOOK_CONFIGURATION}-tls`,
      '--cert-namespace',
      RELEASE_NAMESPACE,
      '--service-name',
      WEBHOOK_CONFIGURATION,
      '--webhook-configuration',
      WEBHOOK_CONFIGURATION,
      '--cert-extra-san',
      '127.0.0.1',
      '--access-key-secret',
      ACCESS_KEY_SECRET_NAME,
      '--access-key-namespace',
      RELEASE_NAMESPACE,
      // The controller below runs with this kubeconfig's user (the chart's runs as its ServiceAccount).
      '--controller-user',
      LOCAL_CONTROLLER_USER,
    ],
    {
      readyLine: /admission webhook serving/,
      timeoutMs: 120_000,
      onLine: (line) => o.onServiceLine?.('admission', line),
    },
  );
  // Ready when the caBundle the certs code wrote verifies the certificate the server presents.
  let caBundle = '';
  await until('the caBundle of the webhook configurations', async () => {
    const out = await kubectl([
      'get',
      'validatingwebhookconfiguration',
      WEBHOOK_CONFIGURATION,
      '-o',
      'jsonpath={.webhooks[0].clientConfig.caBundle}',
    ]);
    caBundle = Buffer.from(out.stdout.trim(), 'base64').toString('utf8');
    return (
      caBundle.includes('BEGIN CERTIFICATE') &&
      (await httpsStatus(`https://127.0.0.1:${admissionPort}/readyz`, caBundle)) === 200
    );
  });
  log(
    `admission webhook ready on https://127.0.0.1:${admissionPort} (certificate from Secret ${RELEASE_NAMESPACE}/${WEBHOOK_CONFIGURATION}-tls)`,
  );

  const controller = await startService(
    [
      'controller',
      '--kubeconfig',
      o.kubeconfig,
      '--leader-elect=true',
      '--lease-namespace',
      RELEASE_NAMESPACE,
      '--metrics-bind',
      `127.0.0.1:${controllerPort}`,
      '--access-key-secret',
      ACCESS_KEY_SECRET_NAME,
      '--access-key-namespace',
      RELEASE_NAMESPACE,
    ],
    { readyLine: /controller started/, onLine: (line) => o.onServiceLine?.('controller', line) },
  );
  await until('the controller to be ready', async () => {
    try {
      return (await fetch(`http://127.0.0.1:${controllerPort}/readyz`)).status === 200;
    } catch {
      return false;
    }
  });
  log(`controller ready (metrics on http://127.0.0.1:${controllerPort}/metrics)`);

  return {
    admissionPort,
    controllerPort,
    admission,
    controller,
    async stop() {
      await controller.stop();
      await admission.stop();
    },
  };
}

export const EXAMPLES = join(ROOT, 'examples');

export function exampleFiles(): string[] {
  return [
    '00-namespace.yaml',
    '10-runtime.yaml',
    '20-auth.yaml',
    '30-roles.yaml',
    '40-repository.yaml',
    '50-one-shot.yaml',
    '60-scheduled.yaml',
  ].map((f) => join(EXAMPLES, f));
}

export const readExample = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8');
