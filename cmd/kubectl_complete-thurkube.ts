/** `kubectl_complete-thurkube`: completions for kubectl's shell completion (plugin/completion.ts). */
import { complete } from '../plugin/completion.js';

process.stdout.write(`${(await complete(process.argv.slice(2))).join('\n')}\n`);
