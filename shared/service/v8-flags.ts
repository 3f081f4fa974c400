/**
 * V8 flags a service sets on itself at start, from THURKUBE_V8_FLAGS. Node accepts only a few V8
 * flags in NODE_OPTIONS (heap sizes, --jitless), and the image's entry point is `thurkube`, not
 * `node`: the chart's controller gets `--no-opt --no-maglev --optimize-for-size` this way
 * (values.yaml controller.v8Flags). The controller waits on the API server, not on its CPU, so the
 * optimising compilers bought little time and cost resident memory (README "Performance" and
 * decision 6: 7 MiB at start, 12 at 1,000 AgentJobs). --jitless, which Node does accept, would do
 * the same and also remove WebAssembly, which Node's fetch needs.
 */
import { setFlagsFromString } from 'node:v8';
import { ThurkubeError } from '../errors.js';

export const V8_FLAGS_ENV = 'THURKUBE_V8_FLAGS';

/** The flags of `value` (space-separated), each `--name` or `--name=value`; Invalid otherwise. */
export function parseV8Flags(value: string | undefined): string[] {
  const flags = (value ?? '').split(/\s+/).filter(Boolean);
  const bad = flags.find((f) => !/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(f));
  if (bad !== undefined)
    throw new ThurkubeError(
      'Invalid',
      `${V8_FLAGS_ENV}: "${bad}" is not a V8 flag; give space-separated flags such as --no-opt --optimize-for-size`,
    );
  return flags;
}

/** Sets the flags of THURKUBE_V8_FLAGS; call before the service's modules run. */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = parseV8Flags(env[V8_FLAGS_ENV]);
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
