/**
 * The agent's pod template, exactly as the API reference describes it: one container `agent`,
 * locked down (it passes Pod Security `restricted`), config mounted read-only, writable emptyDirs
 * at /tmp and /home/agent, the data claim when persist is set, the token from a secretKeyRef.
 */
import type { V1EnvVar, V1PodTemplateSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { AGENT_CONTAINER, AGENT_UID, GH_TOKEN_ENV, HOME_DIR, TMP_DIR } from '../agent-pod.js';
import { childLabels } from '../labels.js';
import { configMapName, dataClaimName, runnerServiceAccountName } from '../names.js';
import type { RenderInput } from './refs.js';
import { podPlacement } from './scheduling.js';

export function agentEnv({ spec, refs }: RenderInput): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'HOME', value: HOME_DIR },
    // The runtime image reads these (default /etc/claude-code-job, /var/lib/claude-code-job);
    // setting them makes an AgentRuntime with other paths work too.
    { name: 'CONFIG_DIR', value: refs.runtime.spec.configPath },
  ];
  if (spec.persist) env.push({ name: 'PERSIST_DIR', value: refs.runtime.spec.persistPath });
  env.push(...(spec.env as V1EnvVar[]));
  env.push({
    name: refs.runtime.spec.authEnvVar,
    valueFrom: { secretKeyRef: { name: refs.auth.spec.secretRef.name, key: refs.auth.spec.secretRef.key } },
  });
  const withToken = refs.repositories.find((r) => r.spec.tokenSecretRef);
  if (withToken?.spec.tokenSecretRef) {
    const { name, key } = withToken.spec.tokenSecretRef;
    env.push({ name: GH_TOKEN_ENV, valueFrom: { secretKeyRef: { name, key } } });
  }
  return env;
}

export function podTemplate(input: RenderInput): V1PodTemplateSpec {
  const { agentJob, spec, refs } = input;
  const runtime = refs.runtime.spec;
  const volumes: V1Volume[] = [
    { name: 'config', configMap: { name: configMapName(agentJob.name) } },
    { name: 'tmp', emptyDir: {} },
    { name: 'home', emptyDir: {} },
  ];
  const mounts: V1VolumeMount[] = [
    { name: 'config', mountPath: runtime.configPath, readOnly: true },
    { name: 'tmp', mountPath: TMP_DIR },
    { name: 'home', mountPath: HOME_DIR },
  ];
  if (spec.persist) {
    volumes.push({ name: 'data', persistentVolumeClaim: { claimName: dataClaimName(agentJob.name) } });
    mounts.push({ name: 'data', mountPath: runtime.persistPath });
  }
  const withAccess = refs.clusterAccess !== undefined;
  return {
    metadata: { labels: childLabels(agentJob) },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: withAccess ? runnerServiceAccountName(agentJob.name) : 'default',
      automountServiceAccountToken: withAccess,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: AGENT_UID,
        runAsGroup: AGENT_UID,
        fsGroup: AGENT_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: AGENT_CONTAINER,
          image: runtime.image,
          ...(runtime.command.length > 0 ? { command: [...runtime.command] } : {}),
          env: agentEnv(input),
          ...(spec.envFrom.length > 0 ? { envFrom: spec.envFrom } : {}),
          ...(spec.resources ? { resources: spec.resources as never } : {}),
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: mounts,
        },
      ],
      volumes,
      ...podPlacement(runtime, spec),
    },
  };
}
