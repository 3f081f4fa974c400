import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION_AUTHORIZATION, ANNOTATION_AUTHORIZE } from '../shared/labels.js';
import {
  capturedReview,
  type Harness,
  NS,
  patchOf,
  type Review,
  reviewWith,
  startHarness,
} from '../test/fixtures/admission/harness.js';
import { example } from '../test/fixtures/load.js';

const AUTHORIZATION = ANNOTATION_AUTHORIZATION;
const AUTHORIZE = ANNOTATION_AUTHORIZE;

const review = (fixture: string, spec: Record<string, unknown> = {}, user?: Review['request']['userInfo']) =>
  reviewWith(fixture, spec, { user });

type Spec = {
  user: string;
  groups: string[];
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: Record<string, string>;
};
const asked: Spec[] = [];
/** RBAC as the stub answers it: masters hold everything, alice may read pods cluster-wide, mallory nothing. */
function can(spec: Spec): boolean {
  asked.push(spec);
  if (spec.groups.includes('system:masters')) return true;
  const r = spec.resourceAttributes;
  return (
    spec.user === 'alice' &&
    r?.group === '' &&
    r.resource === 'pods' &&
    !r.subresource &&
    ['get', 'list', 'watch'].includes(r.verb ?? '')
  );
}
const alice = { username: 'alice', groups: ['team-a', 'system:authenticated'] };
const mallory = { username: 'mallory', groups: ['system:authenticated'] };
const root = { username: 'root', groups: ['system:masters', 'system:authenticated'] };

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ can });
});
afterAll(() => h.close());

const denial = async (r: Review) => (await h.post('/validate', r)).response.status?.message;

describe('validating the kinds an AgentJob refers to', () => {
  const cases: [string, Review, string | undefined][] = [
    ['an McpServer with a command', review('validate-mcpserver-create'), undefined],
    ['an McpServer with an https url', review('validate-mcpserver-create-docs'), undefined],
    [
      'an McpServer with an ftp url',
      review('validate-mcpserver-create-docs', { url: 'ftp://example.com/mcp' }),
      'McpServer "docs" is invalid: spec.url: "ftp://example.com/mcp" must start with http:// or https://',
    ],
    [
      'an McpServer whose url is not a URL',
      review('validate-mcpserver-create-docs', { url: 'example.com/mcp' }),
      'McpServer "docs" is invalid: spec.url: "example.com/mcp" is not a URL',
    ],
    [
      'an McpServer with both a command and a url',
      review('validate-mcpserver-create', { url: 'https://example.com' }),
      'McpServer "gmail" is invalid: spec: set exactly one of command (a local server) or url (a remote server)',
    ],
    ['a Repository', review('validate-repository-create'), undefined],
    [
      'a Repository with a bad owner and name',
      review('validate-repository-create', { owner: '-thurbeen', name: 'thur kube' }),
      'Repository "thurkube" is invalid: spec.owner: "-thurbeen" is not a GitHub user or organisation ' +
        '(letters, digits and inner hyphens, at most 39); spec.name: "thur kube" is not a GitHub repository name ' +
        '(letters, digits, ".", "_" and "-", at most 100)',
    ],
    [
      'a Repository named ..',
      review('validate-repository-create', { name: '..' }),
      'Repository "thurkube" is invalid: spec.name: ".." is not a GitHub repository name (letters, digits, ".", "_" and "-", at most 100)',
    ],
    ['an AgentSkill', review('validate-agentskill-create'), undefined],
    [
      'an AgentSkill whose repo has no owner',
      review('validate-agentskill-create', { repo: 'skills' }),
      'AgentSkill "triage" is invalid: spec.repo: "skills" must be owner/repo, e.g. Thurbeen/skills',
    ],
    [
      'an AgentSkill whose repo has three parts',
      review('validate-agentskill-create', { repo: 'a/b/c' }),
      'AgentSkill "triage" is invalid: spec.repo: "a/b/c" must be owner/repo, e.g. Thurbeen/skills',
    ],
    [
      'an AgentSkill whose owner is too long',
      review('validate-agentskill-create', { repo: `${'o'.repeat(40)}/skills` }),
      `AgentSkill "triage" is invalid: spec.repo: "${'o'.repeat(40)}" is not a GitHub user or organisation (letters, digits and inner hyphens, at most 39)`,
    ],
    ['an AgentRuntime', review('validate-agentruntime-create'), undefined],
    ['an AgentRole', review('validate-agentrole-create'), undefined],
  ];
  // Regression: each of these was admitted, and failed only later (or never), before they were
  // refused on the kind that is wrong, naming its field.
  const reviewed: [string, Review, string][] = [
    [
      'an AgentRuntime image with spaces',
      review('validate-agentruntime-create', { image: ' ghcr.io/x y ' }),
      'AgentRuntime "claude-code" is invalid: spec.image: must be an image reference without spaces, e.g. ghcr.io/thurbeen/claude-code-job:1.4.0',
    ],
    [
      'an authEnvVar with "="',
      review('validate-agentruntime-create', { authEnvVar: 'A=B' }),
      'AgentRuntime "claude-code" is invalid: spec.authEnvVar: must be printable ASCII characters other than "="',
    ],
    [
      'an authEnvVar thurkube sets itself',
      review('validate-agentruntime-create', { authEnvVar: 'HOME' }),
      'AgentRuntime "claude-code" is invalid: spec.authEnvVar: must not be one of the variables thurkube sets itself (HOME, CONFIG_DIR, PERSIST_DIR, GH_TOKEN)',
    ],
    [
      'a relative configPath',
      review('validate-agentruntime-create', { configPath: 'etc/claude' }),
      'AgentRuntime "claude-code" is invalid: spec.configPath: must be an absolute path other than /, e.g. /etc/claude-code-job',
    ],
    [
      'configPath /tmp',
      review('validate-agentruntime-create', { configPath: '/tmp' }),
      'AgentRuntime "claude-code" is invalid: spec.configPath: must not be /tmp or /home/agent, where every agent pod has a writable directory',
    ],
    [
      'persistPath equal to configPath',
      review('validate-agentruntime-create', { persistPath: '/etc/claude-code-job' }),
      'AgentRuntime "claude-code" is invalid: spec.persistPath: must differ from configPath: each is its own mount',
    ],
    [
      'a persistPath with a .. step',
      review('validate-agentruntime-create', { persistPath: '/var/../x' }),
      'AgentRuntime "claude-code" is invalid: spec.persistPath: must not contain a .. step',
    ],
    [
      'an AgentAuth Secret key with a slash and a name with capitals',
      review('validate-agentauth-create', { secretRef: { name: 'Bad_Name', key: 'a/b' } }),
      'AgentAuth "claude-oauth" is invalid: spec.secretRef.name: must be a Secret name: lower-case letters, digits, "-" and ".", e.g. claude-oauth; ' +
        'spec.secretRef.key: must be a Secret key: letters, digits, "-", "_" and ".", e.g. token',
    ],
    [
      'an empty allowed tool',
      review('validate-agentrole-create', { allowedTools: ['Read', ''] }),
      'AgentRole "default" is invalid: spec.allowedTools[1]: must not be empty',
    ],
    [
      'a nonResourceURL without its leading slash, and an empty verb',
      review('validate-clusteraccess-create', {
        rules: [{ nonResourceURLs: ['healthz'], verbs: ['get', ''] }],
      }),
      'ClusterAccess "read-pods" is invalid: spec.rules[0].verbs[1]: must not be empty; ' +
        'spec.rules[0].nonResourceURLs[0]: must be a path starting with / (e.g. /healthz, /metrics*) or *',
    ],
    [
      'nonResourceURLs with resourceNames',
      review('validate-clusteraccess-create', {
        rules: [{ nonResourceURLs: ['/healthz'], resourceNames: ['x'], verbs: ['get'] }],
      }),
      'ClusterAccess "read-pods" is invalid: spec.rules[0].resourceNames: names objects, so it applies to resources, not to nonResourceURLs',
    ],
  ];
  for (const [what, r, message] of reviewed) {
    it(`refuses ${what}, naming the field`, async () => {
      expect(await denial(r)).toBe(message);
    });
  }

  for (const [what, r, message] of cases) {
    it(`${message ? 'refuses' : 'admits'} ${what}`, async () => {
      expect(await denial(r)).toBe(message);
    });
  }

  it('warns when the Secret of an AgentAuth is missing, and admits it', async () => {
    const { response } = await h.post(
      '/validate',
      review('validate-agentauth-create', { secretRef: { name: 'later', key: 'token' } }),
    );
    expect(response.allowed).toBe(true);
    expect(response.warnings).toEqual([
      `AgentAuth "claude-oauth": Secret "later" not found in namespace "${NS}"; runs fail until it exists`,
    ]);
  });

  it('warns when the token Secret of a Repository lacks its key', async () => {
    const { response } = await h.post(
      '/validate',
      review('validate-repository-create', { tokenSecretRef: { name: 'github-token', key: 'pat' } }),
    );
    expect(response.warnings).toEqual(['Repository "thurkube": Secret "github-token" has no key "pat"']);
  });
});

describe('the ClusterAccess escalation guard', () => {
  it('admits a cluster admin (system:masters) with one pair of checks: may escalate and bind', async () => {
    asked.length = 0;
    expect((await h.post('/validate', review('validate-clusteraccess-create'))).response.allowed).toBe(true);
    expect(asked.map((s) => s.resourceAttributes?.verb)).toEqual(['escalate', 'bind']);
  });

  it('admits a user who holds every permission granted', async () => {
    const r = review(
      'validate-clusteraccess-create',
      { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
      alice,
    );
    expect((await h.post('/validate', r)).response.allowed).toBe(true);
  });

  it('refuses a user asking for * on *, naming the permission, as 403 Forbidden', async () => {
    asked.length = 0;
    const r = review(
      'validate-clusteraccess-create',
      { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
      alice,
    );
    const { response } = await h.post('/validate', r);
    expect(response.status).toEqual({
      code: 403,
      reason: 'Forbidden',
      message:
        'ClusterAccess "read-pods" is forbidden: spec.rules[0]: user "alice" lacks verb "*" on resource "*" in API group "*" ' +
        'cluster-wide, which this rule grants; whoever writes a ClusterAccess must already hold every permission it grants',
    });
    // The wildcard is asked as a wildcard, for alice with her groups.
    expect(asked.at(-1)).toMatchObject({
      user: 'alice',
      groups: ['team-a', 'system:authenticated'],
      resourceAttributes: { verb: '*', group: '*', resource: '*' },
    });
  });

  it('names the first permission lacking: subresources, names and URLs included', async () => {
    const rules = [
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ];
    expect(await denial(review('validate-clusteraccess-create', { rules }, alice))).toContain(
      'spec.rules[1]: user "alice" lacks verb "get" on resource "pods/log" in API group "" cluster-wide',
    );
    const urls = [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }];
    expect(await denial(review('validate-clusteraccess-create', { rules: urls }, alice))).toContain(
      'spec.rules[0]: user "alice" lacks verb "get" on URL "/metrics"',
    );
    const named = [
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get'] },
    ];
    expect(await denial(review('validate-clusteraccess-create', { rules: named }, alice))).toContain(
      'lacks verb "get" on resource "deployments" named "web" in API group "apps" cluster-wide',
    );
  });

  it('refuses rules the API server would refuse in a ClusterRole', async () => {
    const rules = [{ resources: ['pods'], verbs: ['get'] }, { verbs: ['get'] }];
    expect(await denial(review('validate-clusteraccess-create', { rules }))).toBe(
      'ClusterAccess "read-pods" is invalid: spec.rules[0].apiGroups: required with resources ("" is the core group); ' +
        'spec.rules[1]: list resources (with apiGroups) or nonResourceURLs',
    );
  });

  it('refuses an AgentJob that newly refers to a ClusterAccess its author could not write', async () => {
    const r = capturedReview('validate-agentjob-create');
    r.request.userInfo = mallory;
    expect(await denial(r)).toBe(
      'AgentJob "pr-fixer" is forbidden: spec.clusterAccessRef: user "mallory" may not use ClusterAccess "read-pods": ' +
        'they lack verb "get" on resource "pods" in API group "" cluster-wide, which it grants',
    );
  });

  /** The update fixture (a new prompt) of an AgentJob that runs with ClusterAccess read-pods. */
  const privilegedUpdate = (user: Review['request']['userInfo'], sameSpec = false) => {
    const r = capturedReview('validate-agentjob-update');
    r.request.userInfo = user;
    if (!r.request.object || !r.request.oldObject) throw new Error('bad fixture');
    r.request.object.spec.clusterAccessRef = 'read-pods';
    r.request.oldObject.spec.clusterAccessRef = 'read-pods';
    if (sameSpec) r.request.object.spec = structuredClone(r.request.oldObject.spec);
    return r;
  };

  it('judges every spec change of an AgentJob that has a ClusterAccess, not only a new reference', async () => {
    // Regression: an unchanged clusterAccessRef let anyone who may edit AgentJobs change what a
    // privileged run executes (its prompt here; its runtime image just as well).
    expect(await denial(privilegedUpdate(mallory))).toBe(
      'AgentJob "summarize" is forbidden: spec.clusterAccessRef: user "mallory" may not use ClusterAccess "read-pods": ' +
        'they lack verb "get" on resource "pods" in API group "" cluster-wide, which it grants',
    );
    expect((await h.post('/validate', privilegedUpdate(root))).response.allowed).toBe(true);
  });

  it('lets anyone make a metadata-only update, keeping the stored authorization and asking nothing', async () => {
    const r = privilegedUpdate(mallory, true);
    if (!r.request.object || !r.request.oldObject) throw new Error('bad fixture');
    const stored = 'the value stored by an earlier admission';
    r.request.oldObject.metadata = {
      ...r.request.oldObject.metadata,
      annotations: { [AUTHORIZATION]: stored },
    };
    // A forged value in the new object is replaced by the stored one.
    r.request.object.metadata = {
      ...r.request.object.metadata,
      annotations: { [AUTHORIZATION]: 'forged', team: 'x' },
    };
    asked.length = 0;
    const mutated = (await h.post('/mutate', r)).response;
    expect(patchOf(mutated)).toEqual([
      { op: 'replace', path: `/metadata/annotations/${AUTHORIZATION.replace('/', '~1')}`, value: stored },
    ]);
    expect((await h.post('/validate', r)).response.allowed).toBe(true);
    expect(asked).toEqual([]);
  });

  it('judges a new value of the authorize annotation like a spec change', async () => {
    const r = privilegedUpdate(mallory, true);
    if (!r.request.object) throw new Error('bad fixture');
    r.request.object.metadata = { ...r.request.object.metadata, annotations: { [AUTHORIZE]: '1' } };
    expect(await denial(r)).toContain('user "mallory" may not use ClusterAccess "read-pods"');
    const byRoot = privilegedUpdate(root, true);
    if (!byRoot.request.object) throw new Error('bad fixture');
    byRoot.request.object.metadata = { ...byRoot.request.object.metadata, annotations: { [AUTHORIZE]: '1' } };
    const patch = patchOf((await h.post('/mutate', byRoot)).response) as { path: string; value: string }[];
    const recorded = patch.find((op) => op.path.includes('cluster-access-authorization'));
    expect(JSON.parse(recorded?.value ?? '{}')).toMatchObject({
      user: 'root',
      clusterAccess: 'read-pods',
      rules: example('ClusterAccess', 'full').spec.rules,
    });
    expect((await h.post('/validate', byRoot)).response.allowed).toBe(true);
  });

  it('refuses an AgentJob whose authorization was not recorded by the mutating webhook', async () => {
    const r = privilegedUpdate(root);
    const { response } = await h.post('/validate', r, { raw: true });
    expect(response.status?.message).toContain(
      'spec.clusterAccessRef: no authorization was recorded for this write: is the thurkube mutating webhook registered for agentjobs?',
    );
  });
});

describe('deleting a referenced object', () => {
  it('is allowed with a warning naming the AgentJobs that still use it', async () => {
    const job = (name: string, runtimeRef: string) => ({
      apiVersion: 'thurkube.thurbeen.eu/v1alpha1',
      kind: 'AgentJob',
      metadata: { name, namespace: NS },
      spec: { runtimeRef, authRef: 'a', roleRef: 'r', prompt: 'p' },
    });
    const r = await startHarness({
      objects: [job('b-user', 'claude-code'), job('a-user', 'claude-code'), job('other', 'x')],
    });
    try {
      const { response } = await r.post('/validate', capturedReview('validate-agentruntime-delete'));
      expect(response.allowed).toBe(true);
      expect(response.warnings).toEqual([
        'AgentRuntime "claude-code" is still used by AgentJobs "a-user", "b-user"; they cannot run until it is back',
      ]);
    } finally {
      await r.close();
    }
  });

  it('is allowed without a warning when nothing uses it', async () => {
    const { response } = await h.post('/validate', capturedReview('validate-agentruntime-delete'));
    expect(response).toEqual({
      uid: capturedReview('validate-agentruntime-delete').request.uid,
      allowed: true,
    });
  });
});
