/** Renders the Helm chart with the pinned helm and reads the objects back, for the chart suites. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { RunResult } from '../../dev/cluster/run.js';

export const CHART_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'charts', 'thurkube');

export interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** Values as helm arguments; strings stay strings (`--set` would turn "685654" into a number). */
export const setArgs = (values: Record<string, string | number | boolean>) =>
  Object.entries(values).flatMap(([k, v]) => [typeof v === 'string' ? '--set-string' : '--set', `${k}=${v}`]);

export async function template(
  helm: (args: string[]) => Promise<RunResult>,
  release: string,
  namespace: string,
  values: Record<string, string | number | boolean> = {},
): Promise<{ yaml: string; objects: Rendered[] }> {
  const res = await helm(['template', release, CHART_DIR, '--namespace', namespace, ...setArgs(values)]);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  const objects = parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((o): o is Rendered => o !== null);
  return { yaml: res.stdout, objects };
}

export function find<T = Rendered>(objects: Rendered[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered chart`);
  return found as T;
}

type Values = Record<string, string | number | boolean>;

/**
 * Every combination of values the chart suites render or install (test/integration/chart.test.ts,
 * monitoring.test.ts, dev/local-stack.ts), plus everything optional switched on at once, for the
 * checks that apply to each (kubeconform). Keep it in step when a suite renders a new one.
 */
export const CHART_VALUE_SETS: Record<string, Values> = {
  defaults: {},
  'cert-manager': { 'certificates.mode': 'cert-manager' },
  'cert-manager with an issuer': {
    'certificates.mode': 'cert-manager',
    'certificates.certManager.issuerRef.kind': 'ClusterIssuer',
    'certificates.certManager.issuerRef.name': 'my-ca',
  },
  'by URL without cluster access': {
    'webhook.url': 'https://127.0.0.1:9443',
    'clusterAccess.enabled': false,
  },
  'without CRDs': { 'crds.install': false },
  'as the install test installs it': {
    'webhook.url': 'https://127.0.0.1:9443',
    'webhook.namespaceSelector.matchLabels.thurkube-chart-test': 'abc123',
    'image.tag': 'test',
    'admission.missingRefs': 'warn',
  },
  monitoring: {
    'metrics.serviceMonitor.enabled': true,
    'metrics.prometheusRule.enabled': true,
    'metrics.prometheusRule.alertLabels.team': 'platform',
    'metrics.prometheusRule.disabled[0]': 'ThurkubeAgentJobRunsFailing',
    'metrics.grafanaDashboard.enabled': true,
    'metrics.grafanaDashboard.namespace': 'monitoring',
  },
  'everything optional': {
    'certificates.mode': 'cert-manager',
    'metrics.serviceMonitor.enabled': true,
    'metrics.prometheusRule.enabled': true,
    'metrics.grafanaDashboard.enabled': true,
    'admission.dryRunChildren': false,
    'admission.podDisruptionBudget.enabled': false,
    'controller.replicas': 2,
    'admission.priorityClassName': 'system-cluster-critical',
    'controller.nodeSelector.kubernetes\\.io/os': 'linux',
    'imagePullSecrets[0].name': 'regcred',
  },
};
