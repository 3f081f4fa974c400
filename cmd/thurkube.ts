#!/usr/bin/env -S npx tsx
/** The one entry point of the image: `thurkube <command>`. */
import { ADMISSION } from '../admission/main.js';
import { CONTROLLER } from '../controller/main.js';
import { allCrdsYaml } from '../shared/crd/yaml.js';
import { runService, type Service } from '../shared/service/run.js';
import { versionLine } from './version.js';

const USAGE = `Usage: thurkube <command> [options]

Commands:
  controller   reconcile AgentJobs into Jobs/CronJobs and their children, and report status
  crd          print all thurkube CRDs as one YAML stream (thurkube crd | kubectl apply -f -)
  admission    serve the admission webhook (HTTPS)

Options:
  --crd        the same as the crd command (as the Rust original: docker run ... thurkube --crd)
  --version    print the version
  --help       this text

Run "thurkube <command> --help" for the options of a command.`;

interface Command {
  help: string;
  run(args: string[]): Promise<number> | number;
}

const service = <C>(s: Service<C>): Command => ({ help: s.usage, run: (args) => runService(s, args) });

const crd: Command = {
  help: `Usage: thurkube crd

Prints the CustomResourceDefinitions of all eight thurkube kinds as one multi-document YAML
stream, generated from the schema package. Example: thurkube crd | kubectl apply -f -`,
  run() {
    process.stdout.write(allCrdsYaml());
    return 0;
  },
};

const commands: Record<string, Command> = {
  controller: service(CONTROLLER),
  crd,
  '--crd': crd,
  admission: service(ADMISSION),
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
  const command = commands[name];
  if (!command) {
    console.error(`thurkube: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
