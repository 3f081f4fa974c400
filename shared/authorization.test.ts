import { describe, expect, it } from 'vitest';
import { minimalInput } from '../test/fixtures/render.js';
import { signAuthorization, specDigest, verifyAuthorization } from './authorization.js';
import { parseSpec } from './objects.js';

const key = Buffer.alloc(32, 1);
const subject = { namespace: 'esc', name: 'powerjob' };
const fields = {
  user: 'admin',
  clusterAccess: 'all',
  rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
  spec: 'digest',
  time: '2026-12-02T05:00:00Z',
};

describe('cluster-access authorizations', () => {
  it('verifies what this key signed for this AgentJob', () => {
    const value = signAuthorization(key, subject, fields);
    expect(verifyAuthorization(key, subject, value)).toEqual({
      ok: true,
      record: { ...fields, signature: expect.any(String) },
    });
  });

  it('refuses a record copied to another AgentJob, edited, signed with another key, or absent', () => {
    const value = signAuthorization(key, subject, fields);
    expect(verifyAuthorization(key, { ...subject, name: 'alices-job' }, value)).toEqual({
      ok: false,
      problem: 'forged',
    });
    expect(verifyAuthorization(key, { ...subject, namespace: 'other' }, value)).toEqual({
      ok: false,
      problem: 'forged',
    });
    const widened = JSON.stringify({ ...JSON.parse(value), user: 'alice' });
    expect(verifyAuthorization(key, subject, widened)).toEqual({ ok: false, problem: 'forged' });
    expect(verifyAuthorization(Buffer.alloc(32, 2), subject, value)).toEqual({
      ok: false,
      problem: 'forged',
    });
    expect(verifyAuthorization(key, subject, undefined)).toEqual({ ok: false, problem: 'missing' });
    expect(verifyAuthorization(key, subject, '{"user":1}')).toEqual({ ok: false, problem: 'unreadable' });
    expect(verifyAuthorization(key, subject, 'not json')).toEqual({ ok: false, problem: 'unreadable' });
  });

  it('digests a spec the same with its defaults written out or left to the schema', () => {
    const spec = minimalInput().spec;
    const sparse = parseSpec('AgentJob', {
      prompt: spec.prompt,
      runtimeRef: spec.runtimeRef,
      authRef: spec.authRef,
      roleRef: spec.roleRef,
    });
    if (!sparse.ok) throw new Error('bad spec');
    expect(specDigest(sparse.value)).toBe(
      specDigest({ ...sparse.value, timezone: 'Etc/UTC', suspend: false, env: [] }),
    );
    expect(specDigest({ ...sparse.value, prompt: 'something else' })).not.toBe(specDigest(sparse.value));
    expect(specDigest({ ...sparse.value, suspend: true })).not.toBe(specDigest(sparse.value));
  });
});
