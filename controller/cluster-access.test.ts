import { describe, expect, it } from 'vitest';
import { signAuthorization, specDigest } from '../shared/authorization.js';
import { fullInput } from '../test/fixtures/render.js';
import { grantFor } from './cluster-access.js';

const key = Buffer.alloc(32, 3);
const input = fullInput();
const access = input.refs.clusterAccess;
if (!access) throw new Error('the full example has a ClusterAccess');
const id = input.agentJob;
const record = (over: Partial<Parameters<typeof signAuthorization>[2]> = {}) =>
  signAuthorization(key, id, {
    user: 'admin',
    clusterAccess: access.name,
    rules: access.spec.rules,
    spec: specDigest(input.spec),
    time: '2026-12-02T05:00:00Z',
    ...over,
  });
const grant = (annotation: string | undefined, rules = access.spec.rules) =>
  grantFor({ id, spec: input.spec, access: { ...access, spec: { rules } }, annotation, key });

describe('what a recorded authorization grants', () => {
  it('grants the ClusterAccess as it is while the record covers it, and a narrowed one', () => {
    expect(grant(record())).toMatchObject({ granted: true, authorized: true, rules: access.spec.rules });
    const narrower = access.spec.rules.slice(0, 1);
    expect(grant(record(), narrower)).toMatchObject({ granted: true, rules: narrower });
  });

  it('keeps the authorized rules when the ClusterAccess was widened later, and says who must authorize', () => {
    const wider = [...access.spec.rules, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }];
    const g = grant(record(), wider);
    expect(g).toMatchObject({
      granted: true,
      authorized: false,
      reason: 'AuthorizationOutdated',
      rules: access.spec.rules,
    });
    expect(g.message).toContain(
      'now grants verb "*" on resource "*" in API group "*" cluster-wide, beyond what user "admin" was authorized for',
    );
    expect(g.message).toContain(
      `kubectl annotate agentjob ${id.name} -n ${id.namespace} thurkube.thurbeen.eu/authorize=`,
    );
  });

  it('grants nothing without a record, with a forged one, for another ClusterAccess or another spec', () => {
    for (const [annotation, why] of [
      [undefined, 'no authorization was recorded when this AgentJob was written'],
      [JSON.stringify({ ...JSON.parse(record()), user: 'mallory' }), 'not signed by this installation'],
      [record({ clusterAccess: 'other' }), 'is for ClusterAccess "other"'],
      [record({ spec: 'another spec' }), 'its spec changed after user "admin" authorized it'],
    ] as const) {
      const g = grant(annotation);
      expect(g.granted).toBe(false);
      expect(g.message).toContain(why);
    }
  });
});
