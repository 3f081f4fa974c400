import { applyPatch as applyOperations, type Operation } from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capturedReview,
  type Harness,
  NS,
  patchOf,
  type Review,
  startHarness,
} from '../test/fixtures/admission/harness.js';
import { diff, type PatchOperation } from './json-patch.js';

/**
 * Applies a patch with a real RFC 6902 implementation that validates every operation: a `replace`
 * of a path that does not exist, or an `add` under a missing parent, fails here as it would at
 * the API server.
 */
const applyPatch = (document: unknown, patch: readonly PatchOperation[]): unknown =>
  applyOperations(structuredClone(document), patch as Operation[], true, false).newDocument;

const defaultAnnotation = { 'thurkube.thurbeen.eu/default': 'true' };
const object = (kind: string, name: string, spec: unknown, annotations?: Record<string, string>) => ({
  apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
  kind,
  metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
  spec,
});

/** The minimal AgentJob as the mutating webhook received it (alice, CRD defaults already applied). */
function minimal(edit: (spec: Record<string, unknown>) => void = () => {}): Review {
  const review = capturedReview('mutate-agentjob-create-summarize');
  if (review.request.object) edit(review.request.object.spec);
  return review;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // A namespace default for runtimes and two for auths, added after the caches synced: the
  // webhook must find them with a live list.
  h.objects.push(
    object(
      'AgentRuntime',
      'default-rt',
      { image: 'i', authEnvVar: 'T', configPath: '/c', persistPath: '/p' },
      defaultAnnotation,
    ),
    object('AgentAuth', 'auth-a', { secretRef: { name: 's', key: 'k' } }, defaultAnnotation),
    object('AgentAuth', 'auth-b', { secretRef: { name: 's', key: 'k' } }, defaultAnnotation),
  );
});
afterAll(() => h.close());

describe('mutating an AgentJob', () => {
  it('sends no patch at all when nothing changes (the API server already applied the CRD defaults)', async () => {
    const review = minimal();
    const { response } = await h.post('/mutate', review);
    expect(response).toEqual({ uid: review.request.uid, allowed: true });
  });

  it('adds the schema defaults that are missing, and only those', async () => {
    const review = minimal((spec) => {
      delete spec.timezone;
      delete spec.env;
      delete spec.timeoutSeconds;
    });
    const { response } = await h.post('/mutate', review);
    expect(response.patchType).toBe('JSONPatch');
    expect(patchOf(response)).toEqual([
      { op: 'add', path: '/spec/timezone', value: 'Etc/UTC' },
      { op: 'add', path: '/spec/timeoutSeconds', value: 3600 },
      { op: 'add', path: '/spec/env', value: [] },
    ]);
  });

  it('never touches fields it does not know (the patch is against the object as received)', async () => {
    const review = minimal((spec) => {
      spec.fromTheFuture = { keep: 'me' };
      spec.mcpServerRefs = ['a', 'a'];
    });
    const { response } = await h.post('/mutate', review);
    const patch = patchOf(response) as PatchOperation[];
    expect(patch).toEqual([{ op: 'replace', path: '/spec/mcpServerRefs', value: ['a'] }]);
    const after = applyPatch(review.request.object, patch) as { spec: Record<string, unknown> };
    expect(after.spec.fromTheFuture).toEqual({ keep: 'me' });
    expect(after.spec.mcpServerRefs).toEqual(['a']);
  });

  it('removes duplicate references and keeps the first order', async () => {
    const review = minimal((spec) => {
      spec.mcpServerRefs = ['gmail', 'docs', 'gmail'];
      spec.repositoryRefs = ['b', 'a', 'b', 'a'];
    });
    expect(patchOf((await h.post('/mutate', review)).response)).toEqual([
      { op: 'replace', path: '/spec/mcpServerRefs', value: ['gmail', 'docs'] },
      { op: 'replace', path: '/spec/repositoryRefs', value: ['b', 'a'] },
    ]);
  });

  it('fills an omitted runtimeRef with the namespace default (claude-code is annotated)', async () => {
    const review = minimal((spec) => {
      delete spec.runtimeRef;
    });
    expect(patchOf((await h.post('/mutate', review)).response)).toEqual([
      { op: 'add', path: '/spec/runtimeRef', value: 'claude-code' },
    ]);
  });

  it('leaves an omitted roleRef alone when the namespace has no default (the CRD then says it is required)', async () => {
    const review = minimal((spec) => {
      delete spec.roleRef;
    });
    expect((await h.post('/mutate', review)).response).toEqual({ uid: review.request.uid, allowed: true });
  });

  it('finds a default the caches have not seen yet with a live list', async () => {
    h.objects.push(object('AgentRole', 'new-default', { allowedTools: ['Read'] }, defaultAnnotation));
    const review = minimal((spec) => {
      delete spec.roleRef;
    });
    expect(patchOf((await h.post('/mutate', review)).response)).toEqual([
      { op: 'add', path: '/spec/roleRef', value: 'new-default' },
    ]);
    expect(h.calls).toContain(`GET /apis/thurkube.thurbeen.eu/v1alpha1/namespaces/${NS}/agentroles`);
  });

  it('refuses an omitted authRef when the namespace has two defaults, naming them', async () => {
    const review = minimal((spec) => {
      delete spec.authRef;
    });
    const { response } = await h.post('/mutate', review);
    expect(response.allowed).toBe(false);
    expect(response.status).toEqual({
      code: 422,
      reason: 'Invalid',
      message:
        `AgentJob "summarize" is invalid: spec.authRef is omitted and namespace "${NS}" has 2 default AgentAuths ` +
        '(auth-a, auth-b); keep one annotated thurkube.thurbeen.eu/default: "true" or set spec.authRef',
    });
  });

  it('leaves an AgentJob being deleted alone', async () => {
    const review = minimal((spec) => {
      delete spec.timezone;
    });
    if (review.request.object?.metadata)
      review.request.object.metadata.deletionTimestamp = '2026-11-24T00:00:00Z';
    expect(patchOf((await h.post('/mutate', review)).response)).toEqual([]);
  });

  it('mutates UPDATEs too', async () => {
    const review = capturedReview('mutate-agentjob-update');
    if (review.request.object) review.request.object.spec.mcpServerRefs = ['x', 'x'];
    expect(patchOf((await h.post('/mutate', review)).response)).toEqual([
      { op: 'replace', path: '/spec/mcpServerRefs', value: ['x'] },
    ]);
  });
});

describe('the JSONPatch diff', () => {
  const cases: [string, unknown, unknown][] = [
    ['equal documents', { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }],
    ['an added key with ~ and / in it', { a: 1 }, { a: 1, 'x/y~z': 2 }],
    ['a removed key', { a: 1, b: 2 }, { a: 1 }],
    ['a nested change', { a: { b: { c: 1, d: 2 } } }, { a: { b: { c: 3, d: 2 } } }],
    ['a changed array', { a: [1, 2, 3] }, { a: [3, 2] }],
    ['an object turned into a string', { a: { b: 1 } }, { a: 'b' }],
    ['a whole document replaced', [1], { a: 1 }],
    ['a key added beside unknown nested ones', { s: { x: { y: 1 } } }, { s: { x: { y: 1 }, z: [] } }],
  ];
  for (const [what, from, to] of cases) {
    it(`turns one document into the other: ${what}`, () => {
      expect(applyPatch(from, diff(from, to))).toEqual(to);
    });
  }

  it('adds what is absent and replaces only what is there (a real RFC 6902 check refuses the mix-up)', () => {
    expect(diff({ a: 1 }, { a: 2, b: 3 })).toEqual([
      { op: 'replace', path: '/a', value: 2 },
      { op: 'add', path: '/b', value: 3 },
    ]);
    expect(() => applyPatch({}, [{ op: 'replace', path: '/b', value: 3 }])).toThrow(
      /OPERATION_PATH_UNRESOLVABLE|unresolvable/i,
    );
  });

  it('escapes ~ and / in keys as RFC 6901 says', () => {
    expect(diff({}, { 'x/y~z': 1 })).toEqual([{ op: 'add', path: '/x~1y~0z', value: 1 }]);
  });
});
