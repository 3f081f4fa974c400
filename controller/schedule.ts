import { CronExpressionParser } from 'cron-parser';

/** cron-parser lacks @midnight, which CronJob accepts as @daily. */
const normalise = (schedule: string) => (schedule.trim() === '@midnight' ? '@daily' : schedule.trim());

/** When the schedule fires next after `now`, read in `timezone`; undefined if it never does. */
export function nextRunTime(schedule: string, timezone: string, now: Date): string | undefined {
  try {
    return (
      CronExpressionParser.parse(normalise(schedule), { tz: timezone, currentDate: now })
        .next()
        .toISOString() ?? undefined
    );
  } catch {
    return undefined;
  }
}
