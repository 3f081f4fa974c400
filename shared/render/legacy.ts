/**
 * How the Rust original names a one-shot run: `N-<first 16 hex of SHA-256(agent.json)>`, where
 * agent.json is its serde `to_string_pretty` output, the same bytes as ours without the trailing
 * newline. Knowing it lets the controller recognise the original's Job of the same config.
 */
import { CONFIG_HASH_LENGTH, jobName } from '../names.js';
import { sha256Hex } from './hash.js';

export const legacyConfigHash = (agentJson: string) =>
  sha256Hex(agentJson.replace(/\n$/, '')).slice(0, CONFIG_HASH_LENGTH);

export const legacyJobName = (agentJob: string, agentJson: string) =>
  jobName(agentJob, legacyConfigHash(agentJson));
