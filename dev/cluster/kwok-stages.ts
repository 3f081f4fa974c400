/**
 * kwok's stage configuration, assembled at run time from the stage files in the Go module cache
 * (they are kwok's, so they are not copied into this repository).
 *
 * How tests steer a pod (documented in the README):
 * - nothing: Pending -> Running -> Succeeded at once;
 * - env THURKUBE_TEST_RUN_FOR=<Go duration, e.g. 20s> on the container: stays Running that long;
 * - env THURKUBE_TEST_OUTCOME=fail on the container, or the pod label
 *   pod-container-running-failed.stage.kwok.x-k8s.io=true: the pod fails with exit code 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { VERSIONS } from './versions.js';

export const RUN_FOR_ENV = 'THURKUBE_TEST_RUN_FOR';
export const OUTCOME_ENV = 'THURKUBE_TEST_OUTCOME';

const envValue = (name: string) => `.spec.containers.[].env.[]? | select(.name == "${name}") | .value`;

interface Stage {
  metadata: { name: string };
  spec: {
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    delay?: Record<string, unknown>;
    weight?: number;
    weightFrom?: unknown;
  };
}

function kwokModuleDir(): string {
  const goDir = join(dirname(fileURLToPath(import.meta.url)), 'go', 'kwok');
  const out = execFileSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@${VERSIONS.kwok}`], {
    cwd: goDir,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download did not report where sigs.k8s.io/kwok@${VERSIONS.kwok} is`);
  return dir;
}

function load(root: string, file: string): Stage {
  const [doc] = parseAllDocuments(readFileSync(join(root, 'kustomize', 'stage', file), 'utf8'));
  if (!doc) throw new Error(`empty kwok stage file ${file}`);
  return doc.toJS() as Stage;
}

export function writeKwokStages(path: string): string {
  const root = kwokModuleDir();
  const complete = load(root, 'pod/fast/pod-complete.yaml');
  complete.spec.selector.matchExpressions.push({
    key: envValue(OUTCOME_ENV),
    operator: 'NotIn',
    values: ['fail'],
  });
  complete.spec.delay = { durationMilliseconds: 0, durationFrom: { expressionFrom: envValue(RUN_FOR_ENV) } };

  const failByEnv = load(root, 'pod/chaos/pod-container-running-failed.yaml');
  failByEnv.metadata.name = 'thurkube-test-outcome-fail';
  failByEnv.spec.selector.matchExpressions = failByEnv.spec.selector.matchExpressions.filter(
    (e) => !e.key.startsWith('.metadata.labels'),
  );
  failByEnv.spec.selector.matchExpressions.push({
    key: envValue(OUTCOME_ENV),
    operator: 'In',
    values: ['fail'],
  });
  failByEnv.spec.delay = { durationMilliseconds: 0, durationFrom: { expressionFrom: envValue(RUN_FOR_ENV) } };
  failByEnv.spec.weightFrom = undefined;

  const stages = [
    load(root, 'node/fast/node-initialize.yaml'),
    load(root, 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml'),
    load(root, 'pod/fast/pod-ready.yaml'),
    complete,
    load(root, 'pod/fast/pod-delete.yaml'),
    load(root, 'pod/chaos/pod-container-running-failed.yaml'),
    failByEnv,
  ];
  writeFileSync(path, stages.map((s) => stringify(s)).join('---\n'));
  return path;
}
