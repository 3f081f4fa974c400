/**
 * `kubectl thurkube` as a user runs it: the executables package.json's "bin" installs, linked
 * into a directory put first on PATH, found and run by the pinned kubectl. HOME is an empty
 * directory and KUBECONFIG is unset, so only the kubeconfig a test names is ever read.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type RunResult, run } from '../../dev/cluster/run.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A directory holding the package's executables under their bin names, as `npm install -g` links them. */
export function installBin(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const dir = mkdtempSync(join(tmpdir(), 'thurkube-bin-'));
  for (const [name, target] of Object.entries(pkg.bin)) symlinkSync(join(ROOT, target), join(dir, name));
  return dir;
}

export interface PluginEnvironment {
  /** `kubectl thurkube ARGS`: kubectl finds the plugin on PATH. */
  thurkube(args: string[], env?: Record<string, string>): Promise<RunResult>;
  /** kubectl itself with the plugin on PATH (`plugin list`, `__complete thurkube ...`). */
  kubectl(args: string[], env?: Record<string, string>): Promise<RunResult>;
  bin: string;
}

export function pluginEnvironment(kubectl: string): PluginEnvironment {
  const bin = installBin();
  const home = mkdtempSync(join(tmpdir(), 'thurkube-home-'));
  mkdirSync(join(home, '.kube'));
  const { KUBECONFIG: _ignored, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOME: home,
    PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
  };
  const kubectlRun = (args: string[], extra: Record<string, string> = {}) =>
    run(kubectl, args, undefined, { ...env, ...extra });
  return { thurkube: (args, extra) => kubectlRun(['thurkube', ...args], extra), kubectl: kubectlRun, bin };
}
