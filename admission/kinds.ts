/**
 * Rules for the kinds an AgentJob refers to, beyond their schemas (which the CRD also enforces):
 * what only makes sense for GitHub and MCP. Pure; every problem with its field path.
 */
import type { KindName } from '../shared/api.js';
import { parseSpec } from '../shared/objects.js';
import type { FieldIssue, Parsed } from '../shared/validation.js';

/** A GitHub user or organisation: 1-39 letters, digits or hyphens, not starting or ending with one. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/;
/** A GitHub repository: 1-100 letters, digits, `.`, `_` or `-`, and not `.` or `..`. */
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;

export const ownerProblem = (owner: string) =>
  OWNER.test(owner)
    ? undefined
    : `"${owner}" is not a GitHub user or organisation (letters, digits and inner hyphens, at most 39)`;

export const repositoryProblem = (name: string) =>
  REPOSITORY.test(name) && name !== '.' && name !== '..'
    ? undefined
    : `"${name}" is not a GitHub repository name (letters, digits, ".", "_" and "-", at most 100)`;

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  return parsed.protocol === 'http:' || parsed.protocol === 'https:'
    ? undefined
    : `"${url}" must start with http:// or https://`;
}

const issue = (path: string, message: string | undefined): FieldIssue[] =>
  message ? [{ path, message }] : [];

const checked = <T>(parsed: Parsed<T>, rules: (spec: T) => FieldIssue[]) =>
  parsed.ok ? rules(parsed.value) : parsed.issues;

/** Problems with the spec of a kind other than AgentJob; ClusterAccess rules are checked elsewhere. */
export function kindIssues(kind: Exclude<KindName, 'AgentJob'>, rawSpec: unknown): FieldIssue[] {
  switch (kind) {
    case 'McpServer':
      return checked(parseSpec(kind, rawSpec), (spec) =>
        spec.url === undefined ? [] : issue('spec.url', urlProblem(spec.url)),
      );
    case 'Repository':
      return checked(parseSpec(kind, rawSpec), (spec) => [
        ...issue('spec.owner', ownerProblem(spec.owner)),
        ...issue('spec.name', repositoryProblem(spec.name)),
      ]);
    case 'AgentSkill':
      return checked(parseSpec(kind, rawSpec), (spec) => {
        const [owner = '', repo, ...rest] = spec.repo.split('/');
        if (repo === undefined || rest.length > 0)
          return issue('spec.repo', `"${spec.repo}" must be owner/repo, e.g. Thurbeen/skills`);
        return issue('spec.repo', ownerProblem(owner) ?? repositoryProblem(repo));
      });
    default:
      return checked(parseSpec(kind, rawSpec), () => []);
  }
}
