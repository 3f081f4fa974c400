import { describe, expect, it } from 'vitest';
import { fullInput, minimalInput } from '../../test/fixtures/render.js';
import { agentConfig, agentJson } from './agent-config.js';
import {
  desiredClusterRole,
  desiredClusterRoleBinding,
  desiredConfigMap,
  desiredCronJob,
  desiredDataClaim,
  desiredJob,
  desiredRunNowJob,
  desiredServiceAccount,
  render,
} from './children.js';
import { stableJson } from './hash.js';

const golden = (name: string) => `./__golden__/${name}.json`;
const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('agent.json', () => {
  it('renders the runtime contract example exactly (keys, order, omissions)', () => {
    const input = fullInput({ instructions: undefined, model: 'sonnet' });
    input.refs.role.spec.allowedTools = ['Bash', 'Read', 'mcp__gmail__*'];
    expect(JSON.parse(agentJson(agentConfig(input.spec, input.refs)))).toStrictEqual({
      prompt: 'Fix any failing PRs on this repository.',
      model: 'sonnet',
      allowedTools: ['Bash', 'Read', 'mcp__gmail__*'],
      skill: { repo: 'Thurbeen/skills', name: 'triage', ref: 'v2.1.0' },
      mcpServers: [
        { name: 'gmail', command: 'npx', args: ['-y', 'gmail-mcp'] },
        { name: 'docs', url: 'https://example.com/mcp' },
      ],
      repositories: [{ name: 'thurkube', owner: 'Thurbeen', repo: 'thurkube' }],
    });
    expect(Object.keys(agentConfig(input.spec, input.refs))).toEqual([
      'prompt',
      'model',
      'allowedTools',
      'skill',
      'mcpServers',
      'repositories',
    ]);
  });

  it('leaves out instructions, model and skill when unset, keeps the lists as empty arrays', () => {
    const { spec, refs } = minimalInput();
    expect(agentConfig(spec, refs)).toStrictEqual({
      prompt: "Summarize today's incoming issues.",
      allowedTools: ['Read'],
      mcpServers: [],
      repositories: [],
    });
  });

  it('leaves out args of a command MCP server that has none', () => {
    const input = fullInput();
    input.refs.mcpServers = [{ name: 'local', spec: { command: 'mcp-local', args: [] } }];
    expect(agentConfig(input.spec, input.refs).mcpServers).toStrictEqual([
      { name: 'local', command: 'mcp-local' },
    ]);
  });
});

describe('children (golden files)', () => {
  it('minimal one-shot AgentJob', async () => {
    const input = minimalInput();
    const r = render(input);
    await expect(
      pretty({
        configHash: r.configHash,
        configMap: desiredConfigMap(input.agentJob, r),
        job: desiredJob(input.agentJob, r, false),
      }),
    ).toMatchFileSnapshot(golden('minimal-one-shot'));
  });

  it('full scheduled AgentJob with persist, cluster access and a repository token', async () => {
    const input = fullInput();
    const r = render(input);
    await expect(
      pretty({
        configHash: r.configHash,
        configMap: desiredConfigMap(input.agentJob, r),
        cronJob: desiredCronJob(input.agentJob, r, input.spec),
        runNowJob: desiredRunNowJob(input.agentJob, r, '2026-11-24T10:00:00Z'),
        dataClaim: desiredDataClaim(input.agentJob),
        serviceAccount: desiredServiceAccount(input.agentJob),
        clusterRole: desiredClusterRole(input.agentJob, input.refs.clusterAccess?.spec.rules ?? []),
        clusterRoleBinding: desiredClusterRoleBinding(input.agentJob),
      }),
    ).toMatchFileSnapshot(golden('full-scheduled'));
  });

  it('full AgentJob run once (no schedule)', async () => {
    const input = fullInput({ schedule: undefined });
    const r = render(input);
    await expect(pretty(desiredJob(input.agentJob, r, false))).toMatchFileSnapshot(golden('full-one-shot'));
  });
});

describe('pod', () => {
  const pod = (input = fullInput()) => {
    const spec = render(input).jobSpec.template.spec;
    if (!spec) throw new Error('no pod spec');
    return spec;
  };

  it('sets env in order: HOME, CONFIG_DIR, PERSIST_DIR, spec.env, the auth token, GH_TOKEN', () => {
    expect(pod().containers[0]?.env?.map((e) => e.name)).toEqual([
      'HOME',
      'CONFIG_DIR',
      'PERSIST_DIR',
      'LOG_LEVEL',
      'POD_NAME',
      'EXTRA_TOKEN',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'GH_TOKEN',
    ]);
  });

  it('takes GH_TOKEN from the first listed Repository that has a token', () => {
    const input = fullInput({ repositoryRefs: ['public', 'private', 'other'] });
    input.refs.repositories = [
      { name: 'public', spec: { owner: 'a', name: 'pub' } },
      { name: 'private', spec: { owner: 'a', name: 'priv', tokenSecretRef: { name: 'gh-a', key: 'token' } } },
      { name: 'other', spec: { owner: 'b', name: 'x', tokenSecretRef: { name: 'gh-b', key: 'pat' } } },
    ];
    expect(pod(input).containers[0]?.env?.find((e) => e.name === 'GH_TOKEN')?.valueFrom).toEqual({
      secretKeyRef: { name: 'gh-a', key: 'token' },
    });
    input.refs.repositories = [{ name: 'public', spec: { owner: 'a', name: 'pub' } }];
    expect(pod(input).containers[0]?.env?.some((e) => e.name === 'GH_TOKEN')).toBe(false);
  });

  it('uses the runner ServiceAccount with a token only when cluster access is set', () => {
    expect(pod()).toMatchObject({
      serviceAccountName: 'pr-fixer-runner',
      automountServiceAccountToken: true,
    });
    expect(pod(minimalInput())).toMatchObject({
      serviceAccountName: 'default',
      automountServiceAccountToken: false,
    });
  });

  it('mounts the data claim only with persist', () => {
    expect(pod().volumes?.map((v) => v.name)).toEqual(['config', 'tmp', 'home', 'data']);
    expect(pod(minimalInput()).volumes?.map((v) => v.name)).toEqual(['config', 'tmp', 'home']);
  });
});

describe('configHash', () => {
  it('is 16 hex digits and stable for the same input', () => {
    const a = render(fullInput()).configHash;
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(render(fullInput()).configHash).toBe(a);
  });

  it('changes with the prompt, the role, the image or the env, and not with the schedule or suspend', () => {
    const base = render(fullInput()).configHash;
    expect(render(fullInput({ prompt: 'Something else.' })).configHash).not.toBe(base);
    const role = fullInput();
    role.refs.role.spec.allowedTools = ['Read'];
    expect(render(role).configHash).not.toBe(base);
    const image = fullInput();
    image.refs.runtime.spec.image = 'ghcr.io/thurbeen/claude-code-job:1.5.0';
    expect(render(image).configHash).not.toBe(base);
    expect(render(fullInput({ env: [] })).configHash).not.toBe(base);
    expect(render(fullInput({ schedule: '0 1 * * *', suspend: true })).configHash).toBe(base);
  });

  it('does not depend on key order', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });

  it('writes the very bytes of the entries-filter-sort-join form it replaced, so no hash changes', () => {
    // The former stableJson, kept as the reference: Job names carry the hash, and a changed hash
    // would start a new run of every one-shot AgentJob after an upgrade.
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value && typeof value === 'object') {
        const entries = Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
      }
      return JSON.stringify(value);
    };
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const keys = ['a', 'B', 'é', 'z"q', '10', '2', 'ключ', 'émoji😀', ''];
    const scalars = [0, -1.5, 1e21, 'text', 'line\nbreak', '"quoted"', true, false, null, undefined];
    const value = (depth: number): unknown => {
      const pick = next();
      if (depth > 3 || pick < 0.4) return scalars[Math.floor(next() * scalars.length)];
      if (pick < 0.7) {
        const array: unknown[] = Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
        if (next() < 0.2) array[array.length + 1] = 1; // a hole
        return array;
      }
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--)
        object[keys[Math.floor(next() * keys.length)] ?? 'k'] = value(depth + 1);
      return object;
    };
    for (let i = 0; i < 2000; i++) {
      const v = value(0);
      expect(stableJson(v)).toBe(reference(v));
    }
    const job = render(fullInput()).jobSpec;
    expect(stableJson(job)).toBe(reference(job));
    // What JSON.stringify writes unlike the walk goes the walk's way.
    const odd = [
      { at: new Date(0), b: 1 },
      { run: () => 1, a: 'x' },
      Object.assign(Object.create(null), { z: 1, y: [2] }),
      { constructor: 'label', b: { d: 1, c: 2 } },
      { b: [undefined, { y: 1, x: 2 }], a: null },
      JSON.parse('{"b":1,"__proto__":{"y":1,"x":2}}'),
      { spec: JSON.parse('{"z":1,"__proto__":"v"}') },
      JSON.parse('{"__proto__":{"y":1,"x":2},"a":1}'),
      Object.assign([1, 2], { toJSON: () => 'x' }),
      { b: 1, a: Object.create({ toJSON: () => 'y' }) },
    ];
    for (const v of odd) expect(stableJson(v)).toBe(reference(v));
  });
});
