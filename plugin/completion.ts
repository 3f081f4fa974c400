/**
 * Shell completion for `kubectl thurkube`, through kubectl's own: kubectl (≥ 1.26) completes a
 * plugin's arguments by running `kubectl_complete-<plugin> ARGS... PARTIAL` and reading one
 * candidate per line (`value<TAB>description`), then `:<directive>` (cobra's protocol). So the
 * completion a user set up for kubectl (bash, zsh, fish) completes verbs, flags, namespaces,
 * contexts and AgentJob names here too.
 */
import { readKubeconfig } from '../shared/kube/config.js';
import { RESOURCES } from '../shared/kube/resources.js';
import { AGENTJOBS } from './agentjobs.js';
import { splitGlobalFlags } from './args.js';
import { kubeconfigPaths, openSession } from './session.js';

/** cobra's ShellCompDirective values. */
const NO_FILE_COMPLETION = 4;
const DEFAULT_COMPLETION = 0;

export const VERB_SUMMARIES: Record<string, string> = {
  run: 'start a run now; --wait follows it to its end',
  logs: 'the agent log of the latest run',
  history: 'the runs, newest first',
  why: 'what explains the phase, on one screen',
  crd: 'print the thurkube CRDs',
};

const GLOBAL_FLAGS = ['--kubeconfig', '--context', '--namespace', '--all-namespaces', '--help'];
const VERB_FLAGS: Record<string, string[]> = {
  run: ['--wait', '--timeout'],
  logs: ['--run', '--follow', '--tail', '--timestamps'],
  history: [],
  why: [],
  crd: [],
};
/** Verbs whose first argument is an AgentJob name. */
const NAMED = new Set(['run', 'logs', 'history', 'why']);

export async function complete(words: string[], env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const partial = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const previous = before.at(-1);
  const matching = (candidates: string[]) => candidates.filter((c) => c.startsWith(partial));
  const done = (candidates: string[], directive = NO_FILE_COMPLETION) => [...candidates, `:${directive}`];

  if (previous === '--kubeconfig') return done([], DEFAULT_COMPLETION);
  let parsed: ReturnType<typeof splitGlobalFlags>;
  try {
    parsed = splitGlobalFlags(before);
  } catch {
    // A flag still waiting for its value: the partial word is that value.
    parsed = splitGlobalFlags(before.slice(0, -1));
  }
  const { global, rest } = parsed;
  const [verb, ...args] = rest.filter((w) => !w.startsWith('-'));
  try {
    if (previous === '--context') {
      const config = readKubeconfig(kubeconfigPaths(global, env));
      return done(matching((config.contexts ?? []).map((c) => c.name)));
    }
    if (previous === '-n' || previous === '--namespace') {
      const session = openSession({ ...global, namespace: undefined, allNamespaces: false }, env);
      const list = await session.client.list(RESOURCES.namespaces);
      return done(matching(list.items.map((n) => n.metadata?.name ?? '')));
    }
    if (!verb) {
      if (partial.startsWith('-')) return done(matching(GLOBAL_FLAGS));
      return done(
        Object.entries(VERB_SUMMARIES)
          .filter(([name]) => name.startsWith(partial))
          .map(([name, summary]) => `${name}\t${summary}`),
      );
    }
    if (partial.startsWith('-')) return done(matching([...(VERB_FLAGS[verb] ?? []), ...GLOBAL_FLAGS]));
    if (NAMED.has(verb) && args.length === 0) {
      const session = openSession(global, env);
      const list = await session.client.list(
        AGENTJOBS,
        session.allNamespaces ? undefined : session.namespace,
      );
      return done(matching([...new Set(list.items.map((aj) => aj.metadata?.name ?? ''))].sort()));
    }
  } catch {
    // No cluster, no rights: nothing to offer, and nothing printed where the shell reads.
  }
  return done([]);
}
