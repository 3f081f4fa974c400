/**
 * The Helm chart: lint, the same webhook configurations as shared/webhooks.ts, a server-side
 * dry-run, RBAC as the API server's authorizer sees it, and a real install → certificates →
 * webhook call → uninstall on the local cluster.
 *
 * Loopback rule: the installed release registers its webhooks by URL (webhook.url) to an HTTPS
 * listener of this test on 127.0.0.1, never by Service (the API server would dial a cluster IP),
 * and only for namespaces carrying a label unique to this run, because the cluster is shared
 * with other suites. kwok runs the pods (the image need not exist).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitPems } from '../../certs/inspect.js';
import { SecretCertificateSource } from '../../certs/secret-source.js';
import { installCrds } from '../../dev/cluster/crds.js';
import {
  ADMISSION_NODE_OPTIONS,
  CONTROLLER_NODE_OPTIONS,
  CONTROLLER_V8_FLAGS,
} from '../../dev/cluster/services.js';
import { KubeClient } from '../../shared/kube/client.js';
import { type Connection, connectionFromKubeconfig } from '../../shared/kube/config.js';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../shared/webhooks.js';
import { example } from '../fixtures/load.js';
import { CHART_DIR, find, type Rendered, setArgs, template } from '../support/chart.js';
import { eventually, testCluster } from '../support/testing.js';

const cluster = testCluster();
const helm = (args: string[]) => cluster.helm(args);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

describe('chart: rendering', () => {
  it('passes helm lint --strict with the default, cert-manager and by-URL values', async () => {
    const variants: Record<string, string | boolean>[] = [
      {},
      { 'certificates.mode': 'cert-manager' },
      { 'webhook.url': 'https://127.0.0.1:9443', 'clusterAccess.enabled': false },
      {
        'hostNetwork.enabled': true,
        'hostNetwork.bindAddress': '127.0.0.1',
        'apiServer.host': '127.0.0.1',
        'apiServer.port': '6443',
      },
    ];
    for (const values of variants) {
      const res = await helm(['lint', '--strict', CHART_DIR, ...setArgs(values)]);
      expect(res.code, `${JSON.stringify(values)}: ${res.stdout}${res.stderr}`).toBe(0);
    }
  });

  it('rejects values outside its schema', async () => {
    const res = await helm(['template', 'x', CHART_DIR, ...setArgs({ 'admission.missingRefs': 'maybe' })]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("at '/admission/missingRefs': value must be one of 'deny', 'warn'");
    const flags = await helm(['template', 'x', CHART_DIR, ...setArgs({ 'controller.v8Flags': 'no-opt' })]);
    expect(flags.code).not.toBe(0);
    expect(flags.stderr).toContain("at '/controller/v8Flags'");
  });

  it('renders exactly the webhook configurations that shared/webhooks.ts builds, by Service and by URL', async () => {
    const cases: {
      values: Record<string, string | boolean>;
      target: Parameters<typeof mutatingWebhookConfiguration>[0];
    }[] = [
      {
        values: {},
        target: { service: { name: 'thurkube-admission', namespace: 'thurkube-system', port: 443 } },
      },
      { values: { 'webhook.url': 'https://127.0.0.1:9443' }, target: { url: 'https://127.0.0.1:9443' } },
      {
        values: { 'webhook.url': 'https://127.0.0.1:9443', 'webhook.runnerGuard': false },
        target: { url: 'https://127.0.0.1:9443', runnerGuard: false },
      },
    ];
    for (const { values, target } of cases) {
      const { objects } = await template(helm, 'thurkube', 'thurkube-system', values);
      const built = [
        mutatingWebhookConfiguration({ ...target, excludeNamespaces: ['kube-system', 'thurkube-system'] }),
        validatingWebhookConfiguration({ ...target, excludeNamespaces: ['kube-system', 'thurkube-system'] }),
      ];
      for (const expected of built) {
        const rendered = find(objects, expected.kind ?? '', 'thurkube-admission') as Rendered & {
          webhooks: unknown;
        };
        expect(rendered.apiVersion).toBe(expected.apiVersion);
        expect(rendered.webhooks).toEqual(expected.webhooks);
        expect(rendered.metadata.labels).toMatchObject(expected.metadata?.labels ?? {});
      }
    }
  });

  it('switches to cert-manager: a Certificate for the Service names, CA injection, files instead of our issuing', async () => {
    const { objects } = await template(helm, 'thurkube', 'thurkube-system', {
      'certificates.mode': 'cert-manager',
    });
    const cert = find<{ spec: { dnsNames: string[]; secretName: string; issuerRef: object } }>(
      objects,
      'Certificate',
      'thurkube-admission',
    );
    expect(cert.spec.dnsNames).toEqual([
      'thurkube-admission',
      'thurkube-admission.thurkube-system',
      'thurkube-admission.thurkube-system.svc',
      'thurkube-admission.thurkube-system.svc.cluster.local',
    ]);
    expect(cert.spec.issuerRef).toEqual({ kind: 'Issuer', name: 'thurkube-admission-ca' });
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(find(objects, kind, 'thurkube-admission').metadata.annotations).toEqual({
        'cert-manager.io/inject-ca-from': 'thurkube-system/thurkube-admission',
      });
    }
    const args = containerOf(find(objects, 'Deployment', 'thurkube-admission')).args;
    expect(args).toContain('--tls-cert-file=/etc/thurkube/tls/tls.crt');
    expect(args.some((a) => a.startsWith('--cert-secret'))).toBe(false);
    // Our issuing is off, and so are its rights: the Secret Role holds only the signing key, no
    // webhook patching.
    const role = find<{ rules: (Rule & { resourceNames?: string[] })[] }>(
      objects,
      'Role',
      'thurkube-admission',
    );
    expect(role.rules.flatMap((r) => r.resourceNames ?? [])).toEqual(['thurkube-access-key']);
    const rules = find<{ rules: Rule[] }>(objects, 'ClusterRole', 'thurkube-admission').rules;
    expect(rules.some((r) => r.apiGroups.includes('admissionregistration.k8s.io'))).toBe(false);
  });

  it('grants escalate and bind on RBAC only while clusterAccess.enabled is on', async () => {
    const rbacRules = async (enabled: boolean) =>
      find<{ rules: Rule[] }>(
        (await template(helm, 'thurkube', 'thurkube-system', { 'clusterAccess.enabled': enabled })).objects,
        'ClusterRole',
        'thurkube-controller',
      ).rules.filter((r) => r.apiGroups.includes('rbac.authorization.k8s.io'));
    expect(await rbacRules(true)).toEqual([
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles', 'clusterrolebindings'],
        verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
      },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['escalate', 'bind'] },
    ]);
    expect(await rbacRules(false)).toEqual([]);
  });

  it('leaves the CRDs out with crds.install=false, and marks them keep otherwise', async () => {
    const without = await template(helm, 'thurkube', 'thurkube-system', { 'crds.install': false });
    expect(without.objects.some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    const crds = (await template(helm, 'thurkube', 'thurkube-system')).objects.filter(
      (o) => o.kind === 'CustomResourceDefinition',
    );
    expect(crds).toHaveLength(8);
    for (const crd of crds) expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });

  /** The environment of a Deployment's container as the chart renders it with `values`. */
  const envOf = async (deployment: string, values: Record<string, string | number | boolean> = {}) =>
    find<V1Deployment>(
      (await template(helm, 'thurkube', 'thurkube-system', values)).objects,
      'Deployment',
      deployment,
    ).spec?.template.spec?.containers[0]?.env;

  it('runs the controller with the V8 heap options the benchmarks measure and the HTTP client chosen, beside the API server address', async () => {
    expect(await envOf('thurkube-controller')).toEqual([
      { name: 'NODE_OPTIONS', value: CONTROLLER_NODE_OPTIONS },
      { name: 'THURKUBE_HTTP_CLIENT', value: 'thurkube' },
      { name: 'THURKUBE_V8_FLAGS', value: CONTROLLER_V8_FLAGS },
    ]);
    expect(
      await envOf('thurkube-controller', {
        'apiServer.host': '127.0.0.1',
        'apiServer.port': 6443,
        'controller.nodeOptions': '--max-old-space-size=900',
        'controller.v8Flags': '',
        kubeHttpClient: 'node',
      }),
    ).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=900' },
      { name: 'THURKUBE_HTTP_CLIENT', value: 'node' },
      { name: 'KUBERNETES_SERVICE_HOST', value: '127.0.0.1' },
      { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
    ]);
  });

  it('runs the webhook with the V8 heap options the storm benchmark measures, and the HTTP client chosen', async () => {
    expect(await envOf('thurkube-admission')).toEqual([
      { name: 'NODE_OPTIONS', value: ADMISSION_NODE_OPTIONS },
      { name: 'THURKUBE_HTTP_CLIENT', value: 'thurkube' },
    ]);
    expect(
      await envOf('thurkube-admission', {
        'admission.nodeOptions': '--max-old-space-size=400',
        kubeHttpClient: 'node',
      }),
    ).toEqual([
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=400' },
      { name: 'THURKUBE_HTTP_CLIENT', value: 'node' },
    ]);
  });
});

describe('chart: on the local cluster', () => {
  const id = randomBytes(3).toString('hex');
  const release = `tk-${id}`;
  const fullname = `${release}-thurkube`;
  const admission = `${fullname}-admission`;
  const controller = `${fullname}-controller`;
  const selectorLabel = 'thurkube-chart-test';
  let ns = '';
  let users = '';
  let server: Server;
  let port = 0;
  const reviews: string[] = [];
  const abort = new AbortController();
  let source: SecretCertificateSource | undefined;
  let installed = false;

  beforeAll(async () => {
    await installCrds(cluster);
    // The restricted Pod Security level: a pod spec that breaks it is refused, so the rollout fails.
    ns = await cluster.newNamespace('chart', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    users = await cluster.newNamespace('chart-users', { [selectorLabel]: id });
    // The stand-in for `thurkube admission` out of the cluster: it admits everything and counts.
    // It serves nothing until the certificate source hands it a certificate.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const review = JSON.parse(body) as {
          request: { uid: string; kind: { kind: string }; operation: string };
        };
        // The API server appends ?timeout=5s to the path.
        const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
        reviews.push(`${path} ${review.request.operation} ${review.request.kind.kind}`);
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, allowed: true },
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    abort.abort();
    await source?.stopped;
    server?.close();
    if (installed) await helm(['uninstall', release, '--namespace', ns]);
    await cluster.deleteNamespaces();
  });

  const installValues = () => ({
    'webhook.url': `https://127.0.0.1:${port}`,
    [`webhook.namespaceSelector.matchLabels.${selectorLabel}`]: id,
    'image.tag': 'test',
  });

  it('passes a server-side dry-run of `helm template`', async () => {
    const { yaml } = await template(helm, release, ns, installValues());
    const res = await cluster.kubectl(['apply', '--dry-run=server', '--namespace', ns, '-f', '-'], yaml);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`deployment.apps/${admission} created (server dry run)`);
    expect(res.stdout).toContain(
      `validatingwebhookconfiguration.admissionregistration.k8s.io/${admission} created (server dry run)`,
    );
  });

  it('installs: both Deployments roll out under restricted Pod Security with the expected pod spec', async () => {
    // --take-ownership: the CRDs exist already (other suites install them from crds/).
    const res = await helm([
      'install',
      release,
      CHART_DIR,
      '--namespace',
      ns,
      '--take-ownership',
      '--wait',
      '--timeout',
      '120s',
      ...setArgs(installValues()),
    ]);
    expect(res.code, res.stderr).toBe(0);
    installed = true;
    expect(res.stdout).toContain('Check the install:');

    const deployment = (name: string) => cluster.apps.readNamespacedDeployment({ name, namespace: ns });
    const adm = await deployment(admission);
    expect(adm.spec?.replicas).toBe(2);
    expect(adm.status?.readyReplicas).toBe(2);
    const admPod = adm.spec?.template.spec;
    expect(admPod?.serviceAccountName).toBe(admission);
    expect(admPod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const admContainer = admPod?.containers[0];
    expect(admContainer?.image).toBe('ghcr.io/thurbeen/thurkube:test');
    expect(admContainer?.args).toEqual([
      'admission',
      '--listen=0.0.0.0:8443',
      '--missing-refs=deny',
      '--dry-run-children=true',
      '--log-level=info',
      `--access-key-secret=${release}-thurkube-access-key`,
      `--access-key-namespace=${ns}`,
      `--controller-user=system:serviceaccount:${ns}:${controller}`,
      `--cert-secret=${admission}-tls`,
      `--cert-namespace=${ns}`,
      `--service-name=${admission}`,
      `--webhook-configuration=${admission}`,
      // Registered by URL (webhook.url): the serving certificate also names that host.
      '--cert-extra-san=127.0.0.1',
    ]);
    expect(admContainer?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(admContainer?.readinessProbe?.httpGet).toMatchObject({
      path: '/readyz',
      port: 'https',
      scheme: 'HTTPS',
    });
    expect(admContainer?.livenessProbe?.httpGet).toMatchObject({
      path: '/healthz',
      port: 'https',
      scheme: 'HTTPS',
    });
    expect(admContainer?.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);

    const ctl = await deployment(controller);
    expect(ctl.spec?.replicas).toBe(1);
    expect(ctl.status?.readyReplicas).toBe(1);
    const ctlContainer = ctl.spec?.template.spec?.containers[0];
    expect(ctlContainer?.args).toEqual([
      'controller',
      '--leader-elect=true',
      `--lease-namespace=${ns}`,
      `--lease-name=${controller}`,
      '--cluster-access=true',
      `--access-key-secret=${release}-thurkube-access-key`,
      `--access-key-namespace=${ns}`,
      '--metrics-bind=0.0.0.0:8080',
      '--log-level=info',
    ]);
    expect(ctlContainer?.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'metrics' });
    expect(ctlContainer?.securityContext?.readOnlyRootFilesystem).toBe(true);

    const pdb = await eventuallyRead(() =>
      cluster.kubectl(['get', 'pdb', admission, '-n', ns, '-o', 'jsonpath={.spec.minAvailable}']),
    );
    expect(pdb).toBe('1');
    const svc = await cluster.core.readNamespacedService({ name: admission, namespace: ns });
    expect(svc.spec?.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
  });

  it('gives each ServiceAccount what it needs and nothing more, as the API server authorizes it', async () => {
    const can = async (sa: string, verb: string, resource: string, namespace: string) => {
      const res = await cluster.kubectl([
        'auth',
        'can-i',
        verb,
        resource,
        '--namespace',
        namespace,
        '--as',
        `system:serviceaccount:${ns}:${sa}`,
      ]);
      return res.stdout.trim();
    };
    // who, verb, resource, where (users: any namespace; release: the release namespace), answer
    const table = `
      controller watch    agentjobs.thurkube.thurbeen.eu                 users   yes
      controller patch    agentjobs.thurkube.thurbeen.eu/status          users   yes
      controller delete   agentjobs.thurkube.thurbeen.eu                 users   no
      controller create   cronjobs.batch                                 users   yes
      controller get      secrets                                        users   no
      controller watch    pods                                           users   yes
      controller delete   pods                                           users   no
      controller get      customresourcedefinitions/agentjobs.thurkube.thurbeen.eu users yes
      controller get      customresourcedefinitions/someone-else         users   no
      controller delete   customresourcedefinitions/agentjobs.thurkube.thurbeen.eu users no
      controller create   clusterrolebindings                            users   yes
      controller escalate clusterroles                                   users   yes
      controller update   leases/CONTROLLER                              release yes
      controller update   leases/someone-else                            release no
      admission  list     agentauths.thurkube.thurbeen.eu                users   yes
      admission  get      secrets                                        users   yes
      admission  list     secrets                                        users   no
      admission  create   subjectaccessreviews.authorization.k8s.io      users   yes
      admission  create   jobs.batch                                     users   yes
      admission  delete   jobs.batch                                     users   no
      admission  patch    validatingwebhookconfigurations/ADMISSION      users   yes
      admission  patch    validatingwebhookconfigurations/someone-else   users   no
      admission  update   secrets/ADMISSION-tls                          release yes
      admission  list     secrets/ADMISSION-tls                          release yes
      admission  watch    secrets/ADMISSION-tls                          release yes
      admission  update   secrets/someone-else                           release no
      admission  escalate clusterroles                                   users   no
      admission  get      secrets/RELEASE-access-key                     release yes
      controller get      secrets/RELEASE-access-key                     release yes
      controller get      secrets/someone-else                           release no`;
    const rows = table
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    const answers = await Promise.all(
      rows.map(([who, verb, resource, where]) =>
        can(
          who === 'controller' ? controller : admission,
          verb ?? '',
          (resource ?? '')
            .replace('CONTROLLER', controller)
            .replace('ADMISSION', admission)
            .replace('RELEASE', `${release}-thurkube`),
          where === 'release' ? ns : users,
        ),
      ),
    );
    expect(rows.map((r, i) => `${r.slice(0, 4).join(' ')} ${answers[i]}`)).toEqual(
      rows.map((r) => r.join(' ')),
    );
  });

  it("issues certificates as the admission ServiceAccount into the release's webhook configurations, and the API server calls through them", async () => {
    // Exactly what the admission pod would do with the chart's flags, under its own identity.
    const token = await cluster.kubectl([
      'create',
      'token',
      admission,
      '--namespace',
      ns,
      '--duration',
      '10m',
    ]);
    expect(token.code, token.stderr).toBe(0);
    source = new SecretCertificateSource({
      client: new KubeClient(asToken(cluster.kubeconfig, token.stdout.trim())),
      namespace: ns,
      secretName: `${admission}-tls`,
      serviceName: admission,
      webhookConfigurationName: admission,
      // Registered by URL on loopback, so the certificate names 127.0.0.1 too.
      extraHosts: ['127.0.0.1'],
    });
    source.onChange((cert) => server.setSecureContext({ cert: cert.certPem, key: cert.keyPem }));
    await source.start(abort.signal);
    const served = source.current();
    if (!served) throw new Error('no certificate');
    server.setSecureContext({ cert: served.certPem, key: served.keyPem });

    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const bundle = await eventually(`the caBundle of the ${kind}`, async () => {
        const res = await cluster.kubectl([
          'get',
          kind,
          admission,
          '-o',
          'jsonpath={.webhooks[0].clientConfig.caBundle}',
        ]);
        return res.stdout || undefined;
      });
      expect(splitPems(Buffer.from(bundle, 'base64').toString())).toHaveLength(1);
    }

    // The API server verifies our certificate with that caBundle and asks the webhooks.
    for (const kind of ['AgentRuntime', 'AgentAuth', 'AgentRole', 'AgentJob'] as const) {
      const res = await eventuallyApplied(example(kind, 'minimal'), users);
      expect(res, kind).toBe(0);
    }
    expect(reviews).toContain('/validate CREATE AgentRuntime');
    expect(reviews).toContain('/mutate CREATE AgentJob');
    expect(reviews).toContain('/validate CREATE AgentJob');
  });

  it('keeps the injected caBundle through `helm upgrade` (the chart renders none; the three-way merge leaves it)', async () => {
    const bundleOf = async () =>
      (
        await cluster.kubectl([
          'get',
          'validatingwebhookconfiguration',
          admission,
          '-o',
          'jsonpath={.webhooks[0].clientConfig.caBundle}',
        ])
      ).stdout;
    const before = await bundleOf();
    expect(before).not.toBe('');
    const res = await helm([
      'upgrade',
      release,
      CHART_DIR,
      '--namespace',
      ns,
      '--reuse-values',
      '--wait',
      '--timeout',
      '120s',
      ...setArgs({ 'admission.missingRefs': 'warn' }),
    ]);
    expect(res.code, res.stderr).toBe(0);
    const adm = await cluster.apps.readNamespacedDeployment({ name: admission, namespace: ns });
    expect(adm.spec?.template.spec?.containers[0]?.args).toContain('--missing-refs=warn');
    expect(await bundleOf()).toBe(before);
  });

  it('uninstalls and leaves the CRDs and the users’ objects', async () => {
    const res = await helm(['uninstall', release, '--namespace', ns, '--wait']);
    expect(res.code, res.stderr).toBe(0);
    installed = false;
    expect(res.stdout).toContain('kept due to the resource policy');
    const crds = await cluster.apiext.listCustomResourceDefinition({
      labelSelector: 'app.kubernetes.io/part-of=thurkube',
    });
    expect(crds.items).toHaveLength(8);
    for (const crd of crds.items) expect(crd.metadata?.deletionTimestamp).toBeUndefined();
    const left = await cluster.kubectl(['get', 'agentjobs,agentruntimes', '-n', users, '-o', 'name']);
    expect(left.stdout.trim().split('\n').sort()).toEqual([
      `agentjob.thurkube.thurbeen.eu/${example('AgentJob', 'minimal').metadata.name}`,
      `agentruntime.thurkube.thurbeen.eu/${example('AgentRuntime', 'minimal').metadata.name}`,
    ]);
    const gone = await cluster.kubectl(['get', 'validatingwebhookconfiguration', admission]);
    expect(gone.stderr).toContain('NotFound');
    const deployments = await cluster.apps.listNamespacedDeployment({ namespace: ns });
    expect(deployments.items.map((d: V1Deployment) => d.metadata?.name)).toEqual([]);
  });

  /** kubectl apply, retried while the API server has not yet seen the fresh caBundle. */
  async function eventuallyApplied(manifest: object, namespace: string): Promise<number> {
    let last = '';
    try {
      await eventually('kubectl apply through the webhooks', async () => {
        const res = await cluster.kubectl(['apply', '-n', namespace, '-f', '-'], JSON.stringify(manifest));
        last = res.stderr;
        return res.code === 0;
      });
      return 0;
    } catch {
      throw new Error(last);
    }
  }
});

async function eventuallyRead(read: () => Promise<{ code: number; stdout: string }>): Promise<string> {
  return eventually('a value', async () => {
    const res = await read();
    return res.code === 0 && res.stdout ? res.stdout : undefined;
  });
}

/** The same cluster, authenticated as a ServiceAccount token instead of the admin certificate. */
function asToken(kubeconfig: string, token: string): Connection {
  const { server, ca } = connectionFromKubeconfig(kubeconfig);
  return { server, ca, token: () => token };
}

function containerOf(deployment: Rendered): { args: string[] } {
  const spec = deployment as unknown as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const [container] = spec.spec.template.spec.containers;
  if (!container) throw new Error('no container');
  return container;
}
