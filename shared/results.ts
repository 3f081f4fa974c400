/**
 * What a run's termination message says (docs/run-results.md). A runtime may write one JSON object
 * to /dev/termination-log: `summary`, `pullRequests`, `costUsd`, `inputTokens`, `outputTokens`, and
 * other keys with string values. Anything else (the log tail the kubelet keeps for a container that
 * failed without writing one) is text. Every field is bounded, values of the wrong type are
 * dropped, and strings shaped like credentials are masked: status and events are readable by
 * anyone who may read the AgentJob, and a log line may hold what the agent should not have printed.
 */
import { REDACTED } from './log.js';
import type { RunOutputs } from './schemas/run.js';

export const MAX_SUMMARY = 1024;
export const MAX_MESSAGE = 512;
export const MAX_PULL_REQUESTS = 20;
export const MAX_URL = 512;
export const MAX_EXTRA_KEYS = 16;
export const MAX_EXTRA_VALUE = 256;
const KNOWN = new Set(['summary', 'pullRequests', 'costUsd', 'inputTokens', 'outputTokens']);
const EXTRA_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

/**
 * Credentials by their well-known shapes: GitHub tokens, Anthropic and OpenAI keys, AWS access key
 * ids, Slack tokens, JWTs, bearer and basic authorization values, and `password=`/`token:` pairs.
 */
const SECRET_SHAPES: RegExp[] = [
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b((?:password|passwd|secret|token|api[_-]?key)\s*[=:]\s*)[^\s"',;]{4,}/gi,
];

export function maskSecrets(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) {
    // Without a capture group the second argument is the offset: only a group is kept.
    out = out.replace(shape, (_match, prefix: unknown) =>
      typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/** At most `max` characters (a cut one ends with …), never splitting a surrogate pair. */
export function bounded(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** One line for a person: control characters gone, whitespace collapsed, credentials masked. */
export function oneLine(text: string, max = MAX_MESSAGE): string {
  const flat = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return bounded(maskSecrets(flat), max);
}

/** The last line that says something: what a failed program printed last. */
export function lastLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return oneLine(lines[i] ?? '');
  return undefined;
}

export interface TerminationMessage {
  /** The result a runtime reported, when the message was a JSON object. */
  outputs?: RunOutputs;
  /** Otherwise the text (usually the log tail), for the run's message. */
  text?: string;
}

const isUrl = (u: unknown): u is string => typeof u === 'string' && /^https?:\/\/\S+$/.test(u);
const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : undefined);

export function parseTerminationMessage(message: string | undefined): TerminationMessage {
  const trimmed = message?.trim();
  if (!trimmed) return {};
  if (!trimmed.startsWith('{')) return { text: trimmed };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { text: trimmed };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { text: trimmed };
  return { outputs: boundOutputs(value as Record<string, unknown>) };
}

function boundOutputs(raw: Record<string, unknown>): RunOutputs {
  const out: RunOutputs = {};
  if (typeof raw.summary === 'string' && raw.summary.trim())
    out.summary = bounded(maskSecrets(raw.summary.trim()), MAX_SUMMARY);
  if (Array.isArray(raw.pullRequests)) {
    const urls = raw.pullRequests.filter(isUrl).slice(0, MAX_PULL_REQUESTS);
    if (urls.length > 0) out.pullRequests = urls.map((u) => bounded(maskSecrets(u), MAX_URL));
  }
  if (typeof raw.costUsd === 'number' && Number.isFinite(raw.costUsd) && raw.costUsd >= 0)
    out.costUsd = raw.costUsd;
  const input = count(raw.inputTokens);
  if (input !== undefined) out.inputTokens = input;
  const output = count(raw.outputTokens);
  if (output !== undefined) out.outputTokens = output;
  let extra = 0;
  for (const [key, value] of Object.entries(raw)) {
    if (KNOWN.has(key) || typeof value !== 'string' || !EXTRA_KEY.test(key)) continue;
    if (extra++ >= MAX_EXTRA_KEYS) break;
    out[key] = bounded(maskSecrets(value), MAX_EXTRA_VALUE);
  }
  return out;
}
