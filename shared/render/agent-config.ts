/**
 * The agent.json the runtime image reads (see the runtime contract): optional keys left out when
 * unset, mcpServers and repositories always arrays, MCP `args` left out when empty. Key order is
 * fixed so that the same input always renders the same bytes, and so the same hash.
 */
import type { AgentJobSpec } from '../schemas/agent-job.js';
import type { ResolvedRefs } from './refs.js';

export interface AgentConfig {
  prompt: string;
  instructions?: string;
  model?: string;
  allowedTools: string[];
  skill?: { repo: string; name: string; ref: string };
  mcpServers: ({ name: string; command: string; args?: string[] } | { name: string; url: string })[];
  repositories: { name: string; owner: string; repo: string }[];
}

export function agentConfig(spec: AgentJobSpec, refs: ResolvedRefs): AgentConfig {
  // Built in the documented key order: JSON.stringify keeps insertion order.
  const config: AgentConfig = { prompt: spec.prompt } as AgentConfig;
  if (spec.instructions !== undefined) config.instructions = spec.instructions;
  if (spec.model !== undefined) config.model = spec.model;
  config.allowedTools = [...refs.role.spec.allowedTools];
  if (refs.skill)
    config.skill = { repo: refs.skill.spec.repo, name: refs.skill.spec.name, ref: refs.skill.spec.ref };
  config.mcpServers = refs.mcpServers.map(({ name, spec: mcp }) => {
    if (mcp.url !== undefined) return { name, url: mcp.url };
    const command = mcp.command ?? '';
    return mcp.args.length > 0 ? { name, command, args: [...mcp.args] } : { name, command };
  });
  config.repositories = refs.repositories.map(({ name, spec: repo }) => ({
    name,
    owner: repo.owner,
    repo: repo.name,
  }));
  return config;
}

export function agentJson(config: AgentConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}
