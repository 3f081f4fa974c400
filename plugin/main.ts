/**
 * `kubectl thurkube`, the kubectl plugin: everyday questions about AgentJobs answered with one
 * command each. kubectl runs the executable `kubectl-thurkube` found on PATH with the rest of the
 * command line; this is its entry point.
 */
import { messageOf } from '../shared/errors.js';
import { splitGlobalFlags, UsageError } from './args.js';
import type { Io } from './follow.js';
import type { Session } from './session.js';
import { openSession } from './session.js';
import { CRD_HELP, crdVerb } from './verbs/crd.js';
import { HISTORY_HELP, historyVerb } from './verbs/history.js';
import { LOGS_HELP, logsVerb } from './verbs/logs.js';
import { RUN_HELP, runVerb } from './verbs/run.js';
import { WHY_HELP, whyVerb } from './verbs/why.js';

export const USAGE = `kubectl thurkube: run, follow and explain thurkube AgentJobs.

Usage: kubectl thurkube <command> [NAME] [options]

Commands:
  run NAME [--wait]   start a run of a scheduled AgentJob now; --wait follows it to its end
  logs NAME [-f]      the agent's log of the latest run (--run K: of the K-th newest)
  history [NAME]      the runs: when, what started them, result, duration, why they ended
  why NAME            everything that explains the AgentJob's phase, on one screen
  crd                 print the thurkube CRDs (kubectl thurkube crd | kubectl apply -f -)

Options of every command, as kubectl has them:
  --kubeconfig PATH         the kubeconfig (default $KUBECONFIG, then ~/.kube/config)
  --context NAME            a context of the kubeconfig (default its current-context)
  -n, --namespace NAME      the namespace (default the context's, then "default")
  -A, --all-namespaces      find NAME in whichever namespace holds it (history: list them all)
  -h, --help                help; "kubectl thurkube <command> --help" for a command's own

Exit codes: 0 done (a run followed with --wait succeeded), 1 failed or not found, 2 bad usage.`;

interface Verb {
  help: string;
  /** Needs no cluster (crd). */
  offline?: boolean;
  run(session: Session | undefined, args: string[], io: Io): Promise<number>;
}

const VERBS: Record<string, Verb> = {
  run: { help: RUN_HELP, run: (s, a, io) => runVerb(s as Session, a, io) },
  logs: { help: LOGS_HELP, run: (s, a, io) => logsVerb(s as Session, a, io) },
  history: { help: HISTORY_HELP, run: (s, a, io) => historyVerb(s as Session, a, io) },
  why: { help: WHY_HELP, run: (s, a, io) => whyVerb(s as Session, a, io) },
  crd: { help: CRD_HELP, offline: true, run: (_s, a, io) => crdVerb(a, io) },
};

export const VERB_NAMES = Object.keys(VERBS);

export async function runPlugin(
  argv: string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let verbName: string | undefined;
  try {
    const { global, rest } = splitGlobalFlags(argv);
    const [name, ...args] = rest;
    verbName = name;
    if (!name || name === 'help') {
      (global.help || name === 'help' ? io.out : io.err)(`${USAGE}\n`);
      return global.help || name === 'help' ? 0 : 2;
    }
    const verb = VERBS[name];
    if (!verb) throw new UsageError(`unknown command "${name}"`);
    if (global.help) {
      io.out(`${verb.help}\n`);
      return 0;
    }
    return await verb.run(verb.offline ? undefined : openSession(global, env), args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const help = (verbName && VERBS[verbName]?.help) || USAGE;
      io.err(`error: ${error.message}\n\n${help}\n`);
      return 2;
    }
    io.err(`error: ${messageOf(error)}\n`);
    return 1;
  }
}
