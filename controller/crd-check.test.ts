import { describe, expect, it } from 'vitest';
import { buildCrd } from '../shared/crd/build.js';
import type { OpenApiSchema } from '../shared/crd/openapi.js';
import type { KubeObject } from '../shared/kube/client.js';
import { crdProblem, missingFields } from './crd-check.js';

const installed = (mutate: (root: OpenApiSchema) => void = () => {}): KubeObject => {
  const crd = structuredClone(buildCrd('AgentJob')) as unknown as KubeObject;
  const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: OpenApiSchema } }[] }).versions;
  const root = versions[0]?.schema.openAPIV3Schema;
  if (root) mutate(root);
  return crd;
};

describe('the installed CRDs', () => {
  it('are current when they declare every field this build generates', () => {
    expect(crdProblem('AgentJob', installed())).toBeUndefined();
  });

  it('are older when a field is missing, as on the Rust original (no observedGeneration in conditions, no run history)', () => {
    const old = installed((root) => {
      const status = root.properties?.status?.properties ?? {};
      delete status.runs;
      delete status.nextRunTime;
      delete status.conditions?.items?.properties?.observedGeneration;
    });
    expect(crdProblem('AgentJob', old)).toBe(
      'CRD agentjobs.thurkube.thurbeen.eu is older than this controller: it lacks status.nextRunTime, ' +
        'status.conditions[].observedGeneration, status.runs',
    );
  });

  it('say which CRD is not installed at all', () => {
    expect(crdProblem('AgentRole', undefined)).toBe('CRD agentroles.thurkube.thurbeen.eu is not installed');
  });

  it('accept a newer CRD (more fields) and one that keeps unknown fields', () => {
    const wanted: OpenApiSchema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(missingFields(wanted, { type: 'object', properties: { a: { type: 'string' }, b: {} } })).toEqual(
      [],
    );
    expect(missingFields(wanted, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).toEqual(
      [],
    );
    expect(missingFields(wanted, { type: 'object' })).toEqual(['a']);
  });
});
