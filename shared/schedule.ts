/**
 * Schedules and time zones as a Kubernetes CronJob accepts them (robfig/cron's standard parser):
 * five fields or one of seven macros, no seconds field, no TZ=/CRON_TZ= prefix, day of week 0-6,
 * month and day names. cron-parser reads more (seconds, L, #, H, 7 for Sunday) than Kubernetes
 * does, so the fields are checked here first, with messages that name the field; cron-parser then
 * tells when the schedule fires next, in its time zone. The admission webhook checks schedules and
 * zones with this module; the controller reports the next run with it.
 */
import { createRequire } from 'node:module';
import { secondsIso } from './time.js';

type CronParser = typeof import('cron-parser');
let cronParser: CronParser | undefined;
/**
 * cron-parser (with luxon) is loaded when a schedule is first asked when it fires: a controller
 * with only one-shot AgentJobs never needs it, and it costs about 2 MiB resident. It is CommonJS,
 * so a synchronous require keeps these functions synchronous.
 */
const cron = (): CronParser['CronExpressionParser'] => {
  cronParser ??= createRequire(import.meta.url)('cron-parser') as CronParser;
  return cronParser.CronExpressionParser;
};

/** The macros Kubernetes accepts, with their five-field meaning. `@every` is not a CronJob schedule. */
export const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  name: string;
  min: number;
  max: number;
  /** Lower-case names; a name's value is its index plus `min`. */
  names?: string[];
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ') },
  { name: 'day of week', min: 0, max: 6, names: 'sun mon tue wed thu fri sat'.split(' ') },
];

/** One value: a number or, for month and day of week, a name. */
function value(field: Field, token: string): number | string {
  const named = field.names?.indexOf(token.toLowerCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(token)) {
    const kind = field.names ? `a number or a name (${field.names[0]}-${field.names.at(-1)})` : 'a number';
    return `${field.name} "${token}" is not ${kind}`;
  }
  const n = Number(token);
  return n < field.min || n > field.max ? `${field.name} ${n} out of range ${field.min}-${field.max}` : n;
}

/** One comma-separated part: `*`, `?`, `a`, `a-b`, each optionally `/step`. */
function partProblem(field: Field, part: string): string | undefined {
  const [range = '', step, extra] = part.split('/');
  if (extra !== undefined) return `${field.name} "${part}" has more than one /`;
  if (step !== undefined && !/^[1-9]\d*$/.test(step))
    return `${field.name} step "${step}" must be a positive number`;
  if (range === '*' || range === '?') return undefined;
  const bounds = range.split('-');
  if (bounds.length > 2) return `${field.name} "${part}" has more than one -`;
  const values = bounds.map((b) => value(field, b));
  const problem = values.find((v) => typeof v === 'string');
  if (problem !== undefined) return problem as string;
  const [low, high] = values as number[];
  if (high !== undefined && (low ?? 0) > high) return `${field.name} range ${range} goes backwards`;
  return undefined;
}

export type ScheduleResult = { ok: true; fields: string } | { ok: false; problem: string };

/** Checks a schedule against Kubernetes' rules; on success returns its five-field form. */
export function parseSchedule(schedule: string): ScheduleResult {
  const text = schedule.trim();
  if (text.includes('TZ'))
    return {
      ok: false,
      problem: 'TZ= and CRON_TZ= are not allowed in a schedule; set spec.timezone instead',
    };
  if (text.startsWith('@')) {
    const fields = MACROS[text];
    if (fields) return { ok: true, fields };
    return {
      ok: false,
      problem: `unknown macro; use five fields or one of ${Object.keys(MACROS).join(' ')}`,
    };
  }
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== FIELDS.length) {
    const seconds = parts.length === 6 ? ' (a seconds field is not supported)' : '';
    return {
      ok: false,
      problem: `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}${seconds}`,
    };
  }
  for (const [i, field] of FIELDS.entries()) {
    for (const part of (parts[i] ?? '').split(',')) {
      const problem = partProblem(field, part);
      if (problem) return { ok: false, problem };
    }
  }
  return { ok: true, fields: parts.join(' ') };
}

/**
 * Whether a schedule fires at all, remembered per schedule and zone: cron-parser in a time zone
 * costs about half a millisecond, and the answer does not change between reviews.
 */
export function everFires(fields: string, timezone: string): boolean {
  const key = `${fields}\0${timezone}`;
  let fires = firesCache.get(key);
  if (fires === undefined) {
    if (firesCache.size >= 1000) firesCache.clear();
    fires = nextRun(fields, timezone) !== undefined;
    firesCache.set(key, fires);
  }
  return fires;
}

const firesCache = new Map<string, boolean>();

/**
 * When a schedule in its five-field form (`parseSchedule`) fires next after `from`, in `timezone`;
 * undefined when it never does.
 */
export function nextRun(fields: string, timezone: string, from = new Date()): Date | undefined {
  try {
    return cron().parse(fields, { tz: timezone, currentDate: from }).next().toDate();
  } catch {
    // cron-parser refuses dates that do not exist (30 February) and gives up on a search that
    // finds none: either way the schedule never fires.
    return undefined;
  }
}

/**
 * When `schedule` (as written in an AgentJob: fields or a macro, `@midnight` included) fires next
 * after `now` in `timezone`, as an RFC 3339 time; undefined when it is invalid or never fires.
 */
export function nextRunTime(schedule: string, timezone: string, now: Date): string | undefined {
  const parsed = parseSchedule(schedule);
  return parsed.ok ? secondsIso(nextRun(parsed.fields, timezone, now)) : undefined;
}

/**
 * A zone the CronJob controller can load: known to the IANA database, spelled with its exact
 * case (Go loads zones by file name; Intl would accept "europe/paris").
 */
export function isTimeZone(zone: string): boolean {
  let known = zoneCache.get(zone);
  if (known === undefined) {
    // Building an Intl.DateTimeFormat costs about 0.2 ms; every AgentJob review asks.
    if (zoneCache.size >= 1000) zoneCache.clear();
    known = checkTimeZone(zone);
    zoneCache.set(zone, known);
  }
  return known;
}

const zoneCache = new Map<string, boolean>();

function checkTimeZone(zone: string): boolean {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  if (!/^[A-Za-z]/.test(zone)) return false;
  return resolved.toLowerCase() !== zone.toLowerCase() || resolved === zone;
}
