#!/usr/bin/env -S npx tsx
/**
 * The one entry point of the image: `thurkube <command>`. Each command's modules are loaded only
 * when it runs: the controller never loads the webhook's HTTPS server and certificate code, nor
 * the CRD generator (about 8 MiB of resident memory at start, README "Performance").
 */
import type { Service } from '../shared/service/run.js';
import { applyV8Flags, V8_FLAGS_ENV } from '../shared/service/v8-flags.js';

// First of all, before any other module loads: flags set later left 3.6 MiB more of the node
// binary resident (compiled code of the module loader, measured), so the rest is imported below.
let flagsError: string | undefined;
try {
  applyV8Flags();
} catch (error) {
  flagsError = error instanceof Error ? error.message : `${V8_FLAGS_ENV}: ${String(error)}`;
}
const { runService } = await import('../shared/service/run.js');
const { versionLine } = await import('./version.js');

const USAGE = `Usage: thurkube <command> [options]

Commands:
  controller   reconcile AgentJobs into Jobs/CronJobs and their children, and report status
  crd          print all thurkube CRDs as one YAML stream (thurkube crd | kubectl apply -f -)
  admission    serve the admission webhook (HTTPS)

Options:
  --crd        the same as the crd command (as the Rust original: docker run ... thurkube --crd)
  --version    print the version
  --help       this text

Environment:
  THURKUBE_V8_FLAGS  V8 flags a service sets at start, space-separated (those NODE_OPTIONS refuses),
                     e.g. "--no-opt --optimize-for-size", what the chart gives the controller

Run "thurkube <command> --help" for the options of a command.`;

interface Command {
  help: string;
  run(args: string[]): Promise<number> | number;
}

const service = <C>(s: Service<C>): Command => ({ help: s.usage, run: (args) => runService(s, args) });

const crd = async (): Promise<Command> => {
  const { allCrdsYaml } = await import('../shared/crd/yaml.js');
  return {
    help: `Usage: thurkube crd

Prints the CustomResourceDefinitions of all eight thurkube kinds as one multi-document YAML
stream, generated from the schema package. Example: thurkube crd | kubectl apply -f -`,
    run() {
      process.stdout.write(allCrdsYaml());
      return 0;
    },
  };
};

const commands: Record<string, () => Promise<Command>> = {
  controller: async () => service((await import('../controller/main.js')).CONTROLLER),
  crd,
  '--crd': crd,
  admission: async () => service((await import('../admission/main.js')).ADMISSION),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    console.log(versionLine());
    return 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    console.error(`thurkube: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (flagsError) {
    console.error(`thurkube ${name}: ${flagsError}`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
