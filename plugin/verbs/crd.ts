/** `kubectl thurkube crd`: the CRDs of this version, the same stream as `thurkube crd`. */
import { allCrdsYaml } from '../../shared/crd/yaml.js';
import { parseVerb, UsageError } from '../args.js';
import type { Io } from '../follow.js';

export const CRD_HELP = `Usage: kubectl thurkube crd

Prints the CustomResourceDefinitions of the eight thurkube kinds, generated from the schema
package of this version, as one YAML stream. Needs no cluster.

Example:
  kubectl thurkube crd | kubectl apply --server-side -f -`;

export function crdVerb(args: string[], io: Io): Promise<number> {
  const { positionals } = parseVerb('crd', args, {});
  if (positionals.length > 0) throw new UsageError('crd takes no arguments');
  io.out(allCrdsYaml());
  return Promise.resolve(0);
}
