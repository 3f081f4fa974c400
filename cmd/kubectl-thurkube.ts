/** `kubectl-thurkube`: the kubectl plugin's executable (bin/kubectl-thurkube.mjs starts it). */
import { runPlugin } from '../plugin/main.js';

process.exitCode = await runPlugin(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
