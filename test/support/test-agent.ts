/**
 * What an AgentJob needs to run the test agent runtime (dev/images/test-agent) on the real node:
 * its token Secret, AgentAuth, AgentRuntime and AgentRole, and AgentJobs that use them. Shared by
 * the suites that run agents in real containers (test/node).
 */
import { IMAGES } from '../../dev/images/versions.js';
import { REAL_NODE_NAMESPACE_ANNOTATIONS } from '../../dev/real-stack.js';
import type { clusterFrom } from './testing.js';

/**
 * A fresh namespace whose pods run on the real node (the API server's PodNodeSelector and
 * PodTolerationRestriction) under Pod Security `restricted`.
 */
export async function realNodeNamespace(
  cluster: ReturnType<typeof clusterFrom>,
  prefix: string,
): Promise<string> {
  const ns = await cluster.newNamespace(prefix, { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const annotate = await cluster.kubectl([
    'annotate',
    'namespace',
    ns,
    ...Object.entries(REAL_NODE_NAMESPACE_ANNOTATIONS).map(([k, v]) => `${k}=${v}`),
  ]);
  if (annotate.code !== 0) throw new Error(`annotating namespace ${ns}: ${annotate.stderr}`);
  return ns;
}

export const testAgentObjects = (namespace: string) => `
apiVersion: v1
kind: Secret
metadata: { name: agent-token, namespace: ${namespace} }
stringData: { token: not-a-real-token }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentAuth
metadata: { name: token, namespace: ${namespace} }
spec: { secretRef: { name: agent-token, key: token } }
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRuntime
metadata: { name: test-agent, namespace: ${namespace} }
spec:
  image: ${IMAGES.testAgent}
  authEnvVar: CLAUDE_CODE_OAUTH_TOKEN
  configPath: /etc/claude-code-job
  persistPath: /var/lib/claude-code-job
---
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentRole
metadata: { name: tools, namespace: ${namespace} }
spec: { allowedTools: [Bash, Read] }
`;

/** An AgentJob of the test agent; `extra` is more of its spec, as YAML lines indented by two. */
export const testAgentJob = (namespace: string, name: string, extra = '') => `
apiVersion: thurkube.thurbeen.eu/v1alpha1
kind: AgentJob
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  runtimeRef: test-agent
  authRef: token
  roleRef: tools
  prompt: "Prompt of ${name}."
${extra}`;
