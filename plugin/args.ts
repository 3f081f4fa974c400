/**
 * The command line of `kubectl thurkube`: kubectl's own connection flags anywhere on the line
 * (`--kubeconfig`, `--context`, `-n/--namespace`, `-A/--all-namespaces`, in the forms kubectl
 * accepts: `-n x`, `-nx`, `--namespace=x`), then a verb and its own arguments.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export interface GlobalFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
  help: boolean;
}

/** A mistake on the command line: the message, then the usage of what was asked for (exit 2). */
export class UsageError extends Error {}

const VALUE_FLAGS: Record<string, keyof GlobalFlags> = {
  '--kubeconfig': 'kubeconfig',
  '--context': 'context',
  '--namespace': 'namespace',
  '-n': 'namespace',
};

/** Takes the global flags out of `argv` (wherever they are); the rest keeps its order. */
export function splitGlobalFlags(argv: string[]): { global: GlobalFlags; rest: string[] } {
  const global: GlobalFlags = { allNamespaces: false, help: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '-A' || arg === '--all-namespaces') {
      global.allNamespaces = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      global.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    let key = VALUE_FLAGS[name];
    let value: string | undefined;
    if (key) {
      value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
    } else if (/^-n[^-]/.test(arg)) {
      key = 'namespace';
      value = arg.slice(2).replace(/^=/, '');
    }
    if (!key) {
      rest.push(arg);
      continue;
    }
    if (value === undefined || value === '') throw new UsageError(`flag ${name} needs a value`);
    (global as unknown as Record<string, string>)[key] = value;
  }
  return { global, rest };
}

/** A verb's own options and positionals, strictly: an unknown flag is a UsageError. */
export function parseVerb<T extends NonNullable<ParseArgsConfig['options']>>(
  verb: string,
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${verb}: ${(error as Error).message.replace(/\. To specify.*$/s, '')}`);
  }
}

/** Go-style durations as kubectl takes them for --timeout: `90s`, `5m`, `1h30m`; `0` is none. */
export function parseDuration(flag: string, text: string): number {
  if (text === '0') return 0;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a duration such as 90s, 5m or 1h30m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}
