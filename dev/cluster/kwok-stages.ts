/**
 * kwok's stage configuration, assembled at run time from the stage files in the Go module cache
 * (they are kwok's, so they are not copied into this repository).
 *
 * How tests steer a pod (documented in the README):
 * - nothing: Pending -> Running -> Succeeded at once;
 * - env THURKUBE_TEST_RUN_FOR=<Go duration, e.g. 20s> on the container: stays Running that long;
 * - env THURKUBE_TEST_OUTCOME=fail on the container, or the pod label
 *   pod-container-running-failed.stage.kwok.x-k8s.io=true: the pod fails with exit code 1;
 * - env THURKUBE_TEST_EXIT_CODE / THURKUBE_TEST_REASON: the exit code and reason of that failure
 *   (default 1, Error), e.g. 137 and OOMKilled;
 * - env THURKUBE_TEST_MESSAGE: the container's termination message when it ends (what the kubelet
 *   reads from /dev/termination-log, or the log tail it keeps for a failed container);
 * - env THURKUBE_TEST_WAITING="Reason: message": the pod stays Pending, its container waiting with
 *   that reason and message, as the kubelet reports an image it cannot pull or a missing Secret key.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { VERSIONS } from './versions.js';

export const RUN_FOR_ENV = 'THURKUBE_TEST_RUN_FOR';
export const OUTCOME_ENV = 'THURKUBE_TEST_OUTCOME';
export const EXIT_CODE_ENV = 'THURKUBE_TEST_EXIT_CODE';
export const REASON_ENV = 'THURKUBE_TEST_REASON';
export const MESSAGE_ENV = 'THURKUBE_TEST_MESSAGE';
export const WAITING_ENV = 'THURKUBE_TEST_WAITING';

const envValue = (name: string) => `.spec.containers.[].env.[]? | select(.name == "${name}") | .value`;

interface Stage {
  metadata: { name: string };
  spec: {
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    delay?: Record<string, unknown>;
    weight?: number;
    weightFrom?: unknown;
    next: { statusTemplate?: string; delete?: boolean };
  };
}

/** Go template (kwok, with sprig): the container env as a dict `$env`, and the common pod fields. */
const ENV_DICT = `{{ $env := dict }}{{ range .spec.containers }}{{ range .env }}{{ if .value }}{{ $_ := set $env .name .value }}{{ end }}{{ end }}{{ end }}`;
const POD_ADDRESSES = `hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}`;

/** Conditions of a pod whose container is not ready (ended, or waiting), with `reason`. */
const notReady = (reason: string, scheduled: boolean) => `conditions:
${scheduled ? '- lastTransitionTime: {{ $now | Quote }}\n  status: "True"\n  type: PodScheduled\n' : ''}- lastTransitionTime: {{ $now | Quote }}
  status: "True"
  type: Initialized
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ${reason}
  type: Ready
- lastTransitionTime: {{ $now | Quote }}
  status: "False"
  reason: ${reason}
  type: ContainersReady`;

/** Every container not ready, in `state` (YAML at the indentation of a container's state fields). */
const containersIn = (state: string) => `containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  started: false
  state:
${state}
{{ end }}`;

/** The container ends: exit code, reason and termination message from the env (see the header). */
const terminatedTemplate = (phase: 'Succeeded' | 'Failed') => `{{ $now := Now }}
${ENV_DICT}
{{ $code := ${phase === 'Failed' ? `index $env "${EXIT_CODE_ENV}" | default "1"` : '"0"'} }}
{{ $reason := ${phase === 'Failed' ? `index $env "${REASON_ENV}" | default "Error"` : '"Completed"'} }}
${notReady('PodCompleted', false)}
${containersIn(`    terminated:
      exitCode: {{ $code }}
      reason: {{ $reason | Quote }}
      {{ with index $env "${MESSAGE_ENV}" }}message: {{ . | Quote }}{{ end }}
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}`)}
${POD_ADDRESSES}
phase: ${phase}
`;

/** The container cannot start: waiting with the reason and message of the env. */
const WAITING_TEMPLATE = `{{ $now := Now }}
${ENV_DICT}
{{ $parts := splitn ": " 2 (index $env "${WAITING_ENV}") }}
${notReady('ContainersNotReady', true)}
${containersIn(`    waiting:
      reason: {{ $parts._0 | Quote }}
      message: {{ $parts._1 | default "" | Quote }}`)}
${POD_ADDRESSES}
phase: Pending
startTime: {{ $now | Quote }}
`;

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
  complete.spec.next = { statusTemplate: terminatedTemplate('Succeeded') };

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
  failByEnv.spec.next = { statusTemplate: terminatedTemplate('Failed') };

  // Pods told to wait never become ready; the waiting stage reports them once.
  const ready = load(root, 'pod/fast/pod-ready.yaml');
  ready.spec.selector.matchExpressions.push({ key: envValue(WAITING_ENV), operator: 'DoesNotExist' });
  const waiting = load(root, 'pod/fast/pod-ready.yaml');
  waiting.metadata.name = 'thurkube-test-waiting';
  waiting.spec.selector.matchExpressions = [
    { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
    { key: '.status.phase', operator: 'In', values: ['Pending'] },
    { key: '.status.containerStatuses', operator: 'DoesNotExist' },
    { key: envValue(WAITING_ENV), operator: 'Exists' },
  ];
  waiting.spec.next = { statusTemplate: WAITING_TEMPLATE };

  const stages = [
    load(root, 'node/fast/node-initialize.yaml'),
    load(root, 'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml'),
    ready,
    waiting,
    complete,
    load(root, 'pod/fast/pod-delete.yaml'),
    load(root, 'pod/chaos/pod-container-running-failed.yaml'),
    failByEnv,
  ];
  writeFileSync(path, stages.map((s) => stringify(s)).join('---\n'));
  return path;
}
