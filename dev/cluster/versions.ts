/**
 * Pinned versions of the upstream binaries. The Go modules under dev/cluster/go/ pin the same
 * versions (and their go.sum the exact sources); a unit test keeps the two in step.
 */
export const VERSIONS = {
  kubernetes: 'v1.36.3',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  // Checks in npm test: the rendered chart against the Kubernetes API schemas, the CI workflows.
  kubeconform: 'v0.8.0',
  actionlint: 'v1.7.12',
  helm: 'v3.21.4',
  // The CNCF distribution registry: the OCI registry of the release path (dev/registry.ts).
  registry: 'v3.1.2',
} as const;

export type ToolGroup = keyof typeof VERSIONS;

export interface ToolSpec {
  group: ToolGroup;
  /** Go module directory under dev/cluster/go/. */
  module: string;
  /** Binary name -> Go package that builds it. */
  binaries: Record<string, string>;
  /** Extra -ldflags so the binary reports its real version. */
  ldflags: string[];
  /** Arguments that print the version, and a test that the output names the pinned one. */
  versionArgs: Record<string, string[]>;
  versionMatches(output: string): boolean;
}

function kubernetesLdflags(version: string): string[] {
  const [, minor] = version.slice(1).split('.');
  const buildDate = '2026-01-01T00:00:00Z';
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=1`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.gitCommit=0000000000000000000000000000000000000000`,
    `-X ${pkg}.buildDate=${buildDate}`,
  ]);
}

const k8sMinor = VERSIONS.kubernetes.split('.')[1];

export const TOOLS: ToolSpec[] = [
  {
    group: 'kubernetes',
    module: 'k8s',
    binaries: {
      'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
      'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
      kubectl: 'k8s.io/kubernetes/cmd/kubectl',
      // The real node's agent (dev/cluster/node/); built from the same module as the control plane.
      kubelet: 'k8s.io/kubernetes/cmd/kubelet',
    },
    ldflags: kubernetesLdflags(VERSIONS.kubernetes),
    versionArgs: {
      'kube-apiserver': ['--version'],
      'kube-controller-manager': ['--version'],
      'kube-scheduler': ['--version'],
      kubectl: ['version', '--client'],
      kubelet: ['--version'],
    },
    versionMatches: (out) => new RegExp(`\\b${VERSIONS.kubernetes.replaceAll('.', '\\.')}\\b`).test(out),
  },
  {
    group: 'etcd',
    module: 'etcd',
    binaries: { etcd: 'go.etcd.io/etcd/server/v3' },
    ldflags: [],
    versionArgs: { etcd: ['--version'] },
    versionMatches: (out) => out.includes(`etcd Version: ${VERSIONS.etcd.slice(1)}`),
  },
  {
    group: 'kwok',
    module: 'kwok',
    binaries: { kwok: 'sigs.k8s.io/kwok/cmd/kwok' },
    ldflags: [],
    versionArgs: { kwok: ['--version'] },
    versionMatches: (out) => out.includes(VERSIONS.kwok.slice(1)),
  },
  {
    group: 'kubeconform',
    module: 'kubeconform',
    binaries: { kubeconform: 'github.com/yannh/kubeconform/cmd/kubeconform' },
    ldflags: [`-X main.version=${VERSIONS.kubeconform}`],
    versionArgs: { kubeconform: ['-v'] },
    versionMatches: (out) => out === VERSIONS.kubeconform,
  },
  {
    group: 'actionlint',
    module: 'actionlint',
    binaries: { actionlint: 'github.com/rhysd/actionlint/cmd/actionlint' },
    ldflags: [`-X github.com/rhysd/actionlint.version=${VERSIONS.actionlint}`],
    versionArgs: { actionlint: ['-version'] },
    versionMatches: (out) => out.split('\n')[0] === VERSIONS.actionlint,
  },
  {
    group: 'helm',
    module: 'helm',
    binaries: { helm: 'helm.sh/helm/v3/cmd/helm' },
    ldflags: [
      `-X helm.sh/helm/v3/internal/version.version=${VERSIONS.helm}`,
      '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
      `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${k8sMinor}`,
      '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
      `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${k8sMinor}`,
    ],
    versionArgs: { helm: ['version', '--short'] },
    versionMatches: (out) => out.startsWith(VERSIONS.helm),
  },
  {
    group: 'registry',
    module: 'registry',
    binaries: { registry: 'github.com/distribution/distribution/v3/cmd/registry' },
    ldflags: [`-X github.com/distribution/distribution/v3/version.version=${VERSIONS.registry}`],
    versionArgs: { registry: ['--version'] },
    // "registry github.com/distribution/distribution/v3 v3.1.2"
    versionMatches: (out) => out.split(/\s+/)[2] === VERSIONS.registry,
  },
];

/**
 * The Kubernetes versions whose API schemas the rendered chart is checked against (kubeconform):
 * the oldest the chart supports (its kubeVersion) and the pinned one. The schemas come from each
 * version's api/openapi-spec/swagger.json in the k8s.io/kubernetes Go module.
 */
export const SCHEMA_KUBERNETES_VERSIONS = ['v1.28.15', VERSIONS.kubernetes] as const;

/** Go modules whose published CRDs give the schemas of the custom kinds the chart can render. */
export const SCHEMA_CRD_MODULES = [
  // ServiceMonitor, PrometheusRule
  {
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    dir: 'example/prometheus-operator-crd',
  },
  // Certificate, Issuer
  { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.2', dir: 'deploy/crds' },
] as const;
