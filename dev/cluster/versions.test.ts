import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOLS, VERSIONS } from './versions.js';

const goMod = (module: string) => readFileSync(join(import.meta.dirname, 'go', module, 'go.mod'), 'utf8');

describe('pinned tool versions', () => {
  it('match the Go modules that build them', () => {
    expect(goMod('k8s')).toMatch(new RegExp(`k8s\\.io/kubernetes ${VERSIONS.kubernetes}\\b`));
    const staging = VERSIONS.kubernetes.replace(/^v1\./, 'v0.');
    expect(goMod('k8s')).toContain(`k8s.io/api => k8s.io/api ${staging}`);
    expect(goMod('etcd')).toMatch(new RegExp(`go\\.etcd\\.io/etcd/server/v3 ${VERSIONS.etcd}\\b`));
    expect(goMod('kwok')).toMatch(new RegExp(`sigs\\.k8s\\.io/kwok ${VERSIONS.kwok}\\b`));
    expect(goMod('helm')).toMatch(new RegExp(`helm\\.sh/helm/v3 ${VERSIONS.helm}\\b`));
    expect(goMod('kubeconform')).toMatch(
      new RegExp(`github\\.com/yannh/kubeconform ${VERSIONS.kubeconform}\\b`),
    );
    expect(goMod('actionlint')).toMatch(
      new RegExp(`github\\.com/rhysd/actionlint ${VERSIONS.actionlint}\\b`),
    );
    expect(goMod('registry')).toMatch(
      new RegExp(`github\\.com/distribution/distribution/v3 ${VERSIONS.registry}\\b`),
    );
  });

  it('recognise the version strings the binaries print, and reject others', () => {
    const k8s = TOOLS.find((t) => t.group === 'kubernetes');
    expect(k8s?.versionMatches('Kubernetes v1.36.3')).toBe(true);
    expect(k8s?.versionMatches('Client Version: v1.32.4-dispatcher')).toBe(false);
    expect(k8s?.versionMatches('Kubernetes v1.36.30')).toBe(false);
    expect(TOOLS.find((t) => t.group === 'etcd')?.versionMatches('etcd Version: 3.6.16\nGit SHA: x')).toBe(
      true,
    );
    expect(TOOLS.find((t) => t.group === 'helm')?.versionMatches('v3.21.4')).toBe(true);
    expect(TOOLS.find((t) => t.group === 'kwok')?.versionMatches('kwok version v0.8.0 go1.26.8')).toBe(true);
    expect(TOOLS.find((t) => t.group === 'kubeconform')?.versionMatches('v0.8.0')).toBe(true);
    expect(TOOLS.find((t) => t.group === 'kubeconform')?.versionMatches('development')).toBe(false);
    const actionlint = TOOLS.find((t) => t.group === 'actionlint');
    expect(actionlint?.versionMatches('v1.7.12\ninstalled by building from source')).toBe(true);
    expect(actionlint?.versionMatches('(devel)\ninstalled by building from source')).toBe(false);
    const registry = TOOLS.find((t) => t.group === 'registry');
    expect(registry?.versionMatches('registry github.com/distribution/distribution/v3 v3.1.2')).toBe(true);
    expect(registry?.versionMatches('registry github.com/distribution/distribution/v3 v3.1.2+unknown')).toBe(
      false,
    );
  });
});
