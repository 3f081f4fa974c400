/** What a validation decides, and the settings that shape it. */
import type { FieldIssue } from '../shared/validation.js';

export interface Settings {
  /**
   * `deny`: an AgentJob whose references do not exist is refused. `warn`: it is admitted with a
   * warning and the controller waits for them (GitOps tools that apply in any order).
   */
  missingRefs: 'deny' | 'warn';
  /**
   * Server-side dry-run of the Job or CronJob an AgentJob would get (default true). Off, the
   * webhook needs no `create` on jobs and cronjobs, and answers without that API round trip; the
   * controller then reports such problems in status instead.
   */
  dryRunChildren?: boolean;
  /**
   * Signs and checks cluster-access authorizations (shared/authorization.ts). Without it, no
   * AgentJob with a clusterAccessRef is admitted.
   */
  accessKey?: Buffer;
  /** Users whose Jobs and CronJobs may use runner ServiceAccounts: the thurkube controller's. */
  controllerUsers?: string[];
  /** The clock authorizations are stamped with (tests set it). */
  now?: () => Date;
}

export interface Verdict {
  allowed: boolean;
  /** Every problem, with its field path; empty when allowed. */
  issues: FieldIssue[];
  /** kubectl prints these, whether or not the object is admitted. */
  warnings: string[];
  /** The user lacks a permission (escalation guard): 403 Forbidden rather than 422 Invalid. */
  forbidden: boolean;
}

export const verdict = (issues: FieldIssue[], warnings: string[] = [], forbidden = false): Verdict => ({
  allowed: issues.length === 0,
  issues,
  warnings,
  forbidden: forbidden && issues.length > 0,
});
