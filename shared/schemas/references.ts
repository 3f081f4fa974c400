/** The seven kinds an AgentJob refers to by name. */
import * as v from 'valibot';
import { POD_DIRS, POD_ENV } from '../agent-pod.js';
import { PolicyRule, SecretKeyRef } from './core.js';
import { absolutePath, envVarName, hints, nonEmpty, stringList } from './fields.js';
import { runtimePodEntries } from './scheduling.js';

const reserved = (paths: readonly string[]) => `[${paths.map((p) => `'${p}'`).join(', ')}]`;

export const AgentRuntimeSpec = v.pipe(
  v.object({
    image: v.pipe(
      v.string(),
      v.regex(
        /^[^\s]+$/,
        'must be an image reference without spaces, e.g. ghcr.io/thurbeen/claude-code-job:1.4.0',
      ),
      v.description('Container image of the agent, e.g. ghcr.io/thurbeen/claude-code-job:latest.'),
    ),
    command: v.optional(
      stringList('Entrypoint of the agent container; the image entrypoint when empty.', 'One argument.'),
      [],
    ),
    authEnvVar: envVarName(
      'Environment variable that receives the auth token, e.g. CLAUDE_CODE_OAUTH_TOKEN.',
    ),
    configPath: absolutePath('Directory where the rendered agent.json is mounted read-only.'),
    persistPath: absolutePath('Directory where the data volume is mounted when an AgentJob sets persist.'),
    ...runtimePodEntries,
  }),
  // Each problem under its own field, as the API server would name it.
  v.forward(
    v.check(
      (r) => !(POD_ENV as readonly string[]).includes(r.authEnvVar),
      `must not be one of the variables thurkube sets itself (${POD_ENV.join(', ')})`,
    ),
    ['authEnvVar'],
  ),
  v.forward(
    v.check(
      (r) => !(POD_DIRS as readonly string[]).includes(r.configPath),
      `must not be ${POD_DIRS.join(' or ')}, where every agent pod has a writable directory`,
    ),
    ['configPath'],
  ),
  v.forward(
    v.check(
      (r) => !(POD_DIRS as readonly string[]).includes(r.persistPath),
      `must not be ${POD_DIRS.join(' or ')}, where every agent pod has a writable directory`,
    ),
    ['persistPath'],
  ),
  v.forward(
    v.check((r) => r.persistPath !== r.configPath, 'must differ from configPath: each is its own mount'),
    ['persistPath'],
  ),
  hints({
    celRules: [
      {
        rule: `!(self.authEnvVar in ${reserved(POD_ENV)})`,
        message: `authEnvVar must not be one of ${POD_ENV.join(', ')}`,
      },
      {
        rule: `!(self.configPath in ${reserved(POD_DIRS)})`,
        message: `configPath must not be ${POD_DIRS.join(' or ')}`,
      },
      {
        rule: `!(self.persistPath in ${reserved(POD_DIRS)})`,
        message: `persistPath must not be ${POD_DIRS.join(' or ')}`,
      },
      { rule: 'self.persistPath != self.configPath', message: 'persistPath must differ from configPath' },
    ],
  }),
  v.description('How to run an agent: image, command and mount paths.'),
);

export const AgentAuthSpec = v.pipe(
  v.object({
    secretRef: v.pipe(SecretKeyRef, v.description('The Secret key holding the agent auth token.')),
  }),
  v.description('Where the agent auth token is kept.'),
);

export const AgentRoleSpec = v.pipe(
  v.object({
    allowedTools: v.pipe(
      v.array(nonEmpty('A tool name or pattern.')),
      v.description('Tools the agent may use, e.g. Bash, Read, mcp__gmail__*.'),
    ),
  }),
  v.description('What the agent may do.'),
);

export const DEFAULT_SKILL_REF = 'main';

export const AgentSkillSpec = v.pipe(
  v.object({
    repo: nonEmpty('GitHub repository holding the skill, as owner/repo.'),
    name: nonEmpty('Directory of the skill inside the repository.'),
    ref: v.optional(nonEmpty('Branch, tag or commit to use. Default main.'), DEFAULT_SKILL_REF),
  }),
  v.description('A reusable skill from a GitHub repository.'),
);

export const McpServerSpec = v.pipe(
  v.object({
    command: v.optional(nonEmpty('Command that starts a local MCP server, e.g. npx.')),
    args: v.optional(stringList('Arguments of the command.', 'One argument.'), []),
    url: v.optional(nonEmpty('Address of a remote MCP server, http:// or https://.')),
  }),
  v.check(
    (spec) => (spec.command === undefined) !== (spec.url === undefined),
    'set exactly one of command (a local server) or url (a remote server)',
  ),
  hints({
    celRules: [
      {
        rule: 'has(self.command) != has(self.url)',
        message: 'set exactly one of command (a local server) or url (a remote server)',
      },
    ],
  }),
  v.description('An MCP server the agent may use: a local command or a remote URL, not both.'),
);

export const RepositorySpec = v.pipe(
  v.object({
    owner: nonEmpty('GitHub user or organisation that owns the repository.'),
    name: nonEmpty('Repository name.'),
    tokenSecretRef: v.optional(
      v.pipe(SecretKeyRef, v.description('Secret key with a GitHub token; given to the agent as GH_TOKEN.')),
    ),
  }),
  v.description('A GitHub repository the agent works on.'),
);

export const ClusterAccessSpec = v.pipe(
  v.object({
    rules: v.pipe(
      v.array(PolicyRule),
      v.minLength(1, 'must hold at least one rule'),
      v.description(
        'RBAC rules granted to the agent cluster-wide. Whoever creates this object must hold them already.',
      ),
    ),
  }),
  hints({ celRules: [{ rule: 'size(self.rules) > 0', message: 'rules must hold at least one rule' }] }),
  v.description('Kubernetes permissions for an agent, materialised as ServiceAccount and ClusterRole.'),
);

export type AgentRuntimeSpec = v.InferOutput<typeof AgentRuntimeSpec>;
export type AgentAuthSpec = v.InferOutput<typeof AgentAuthSpec>;
export type AgentRoleSpec = v.InferOutput<typeof AgentRoleSpec>;
export type AgentSkillSpec = v.InferOutput<typeof AgentSkillSpec>;
export type McpServerSpec = v.InferOutput<typeof McpServerSpec>;
export type RepositorySpec = v.InferOutput<typeof RepositorySpec>;
export type ClusterAccessSpec = v.InferOutput<typeof ClusterAccessSpec>;
