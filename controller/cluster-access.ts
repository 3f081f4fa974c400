/**
 * How much of its ClusterAccess an AgentJob is granted, decided from the authorization recorded
 * at admission (shared/authorization.ts); pure. The controller does not rely on the webhook alone:
 * no valid record (written while the webhook did not review it, or forged), a record for another
 * ClusterAccess or for a spec that has changed since: nothing is granted and no run starts. A
 * ClusterAccess widened after the record: the run keeps the rules that were authorized.
 */
import { specDigest, verifyAuthorization } from '../shared/authorization.js';
import { ANNOTATION_AUTHORIZE } from '../shared/labels.js';
import { describePermission, firstUncovered } from '../shared/rbac.js';
import type { AgentJobIdentity, Named } from '../shared/render/refs.js';
import type { AgentJobSpec } from '../shared/schemas/agent-job.js';
import type { PolicyRule } from '../shared/schemas/core.js';
import type { ClusterAccessSpec } from '../shared/schemas/references.js';

export const AUTHORIZED_CONDITION = 'ClusterAccessAuthorized';

export type AccessGrant =
  | { granted: true; rules: PolicyRule[]; authorized: boolean; reason: string; message: string }
  | { granted: false; reason: 'NotAuthorized'; message: string };

export interface GrantInput {
  id: AgentJobIdentity;
  spec: AgentJobSpec;
  access: Named<ClusterAccessSpec>;
  /** The value of the authorization annotation, as stored. */
  annotation: string | undefined;
  /** The signing key; undefined when it could not be loaded. */
  key: Buffer | undefined;
}

/** What a person who holds the rules runs to authorize the AgentJob again. */
export const reauthorizeCommand = (id: AgentJobIdentity) =>
  `kubectl annotate agentjob ${id.name} -n ${id.namespace} ${ANNOTATION_AUTHORIZE}="$(date +%s)" --overwrite`;

function refused(input: GrantInput, why: string): AccessGrant {
  return {
    granted: false,
    reason: 'NotAuthorized',
    message:
      `ClusterAccess "${input.access.name}" is not granted: ${why}; someone who holds every rule it grants must ` +
      `authorize this AgentJob (apply it, or: ${reauthorizeCommand(input.id)})`,
  };
}

export function grantFor(input: GrantInput): AccessGrant {
  const { id, spec, access } = input;
  if (!input.key) return refused(input, 'the controller has no key to check authorizations with');
  const verified = verifyAuthorization(
    input.key,
    { namespace: id.namespace, name: id.name },
    input.annotation,
  );
  if (!verified.ok) {
    const why = {
      missing:
        'no authorization was recorded when this AgentJob was written (the thurkube admission webhook did not review it: a namespace it does not watch, or written while it was bypassed)',
      unreadable: 'its recorded authorization cannot be read',
      forged: 'its recorded authorization was not signed by this installation for this AgentJob',
    }[verified.problem];
    return refused(input, why);
  }
  const { record } = verified;
  if (record.clusterAccess !== access.name)
    return refused(input, `its recorded authorization is for ClusterAccess "${record.clusterAccess}"`);
  if (record.spec !== specDigest(spec))
    return refused(
      input,
      `its spec changed after user "${record.user}" authorized it at ${record.time}, without the admission webhook`,
    );
  const beyond = firstUncovered(access.spec.rules, record.rules);
  if (!beyond)
    return {
      granted: true,
      rules: access.spec.rules,
      authorized: true,
      reason: 'Authorized',
      message: `authorized for user "${record.user}" at ${record.time}`,
    };
  return {
    granted: true,
    rules: record.rules,
    authorized: false,
    reason: 'AuthorizationOutdated',
    message:
      `ClusterAccess "${access.name}" now grants ${describePermission(beyond.permission)}, beyond what user ` +
      `"${record.user}" was authorized for at ${record.time}; the run keeps the rules authorized then until someone who ` +
      `holds the new ones authorizes it (apply it, or: ${reauthorizeCommand(id)})`,
  };
}
