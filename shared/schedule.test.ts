import { describe, expect, it } from 'vitest';
import { isTimeZone, nextRun, nextRunTime, parseSchedule } from './schedule.js';

describe('nextRun', () => {
  const from = new Date('2026-01-15T12:00:00Z');
  const cases: [string, string, string | undefined][] = [
    ['0 9 * * *', 'Etc/UTC', '2026-01-16T09:00:00.000Z'],
    ['0 9 * * *', 'Europe/Paris', '2026-01-16T08:00:00.000Z'],
    ['0 0 1 1 *', 'Etc/UTC', '2027-01-01T00:00:00.000Z'],
    ['0 0 29 2 *', 'Etc/UTC', '2028-02-29T00:00:00.000Z'],
    ['0 0 30 2 *', 'Etc/UTC', undefined],
    ['0 0 31 4,6,9,11 *', 'Etc/UTC', undefined],
  ];
  for (const [fields, zone, next] of cases) {
    it(`"${fields}" in ${zone} fires next at ${next ?? 'never'}`, () => {
      expect(nextRun(fields, zone, from)?.toISOString()).toBe(next);
    });
  }
});

describe('nextRunTime (what the controller reports as status.nextRunTime)', () => {
  const now = new Date('2026-01-15T12:00:00Z');

  it('reads macros, @midnight included (cron-parser lacks it), in the AgentJob time zone, to the second', () => {
    expect(nextRunTime('@midnight', 'Europe/Paris', now)).toBe('2026-01-15T23:00:00Z');
    expect(nextRunTime('@daily', 'Europe/Paris', now)).toBe('2026-01-15T23:00:00Z');
    expect(nextRunTime('@hourly', 'Etc/UTC', now)).toBe('2026-01-15T13:00:00Z');
    expect(nextRunTime(' 0 */6 * * * ', 'Asia/Tokyo', now)).toBe('2026-01-15T15:00:00Z');
  });

  it('has no answer for a schedule a CronJob refuses or one that never fires', () => {
    expect(nextRunTime('0 0 0 * * *', 'Etc/UTC', now)).toBeUndefined();
    expect(nextRunTime('@every 5m', 'Etc/UTC', now)).toBeUndefined();
    expect(nextRunTime('0 0 30 2 *', 'Etc/UTC', now)).toBeUndefined();
  });
});

describe('parseSchedule', () => {
  it('turns a macro into its five fields', () => {
    expect(parseSchedule('@weekly')).toEqual({ ok: true, fields: '0 0 * * 0' });
  });

  it('keeps five fields as written, spaces folded', () => {
    expect(parseSchedule('  */5   *  * * mon-fri ')).toEqual({ ok: true, fields: '*/5 * * * mon-fri' });
  });

  it('reports the first problem of a list', () => {
    expect(parseSchedule('1,2,70 * * * *')).toEqual({ ok: false, problem: 'minute 70 out of range 0-59' });
  });

  it('reads month and day names in any case, and refuses unknown ones', () => {
    expect(parseSchedule('0 0 * Jan-MAR Sun').ok).toBe(true);
    expect(parseSchedule('0 0 * foo *')).toEqual({
      ok: false,
      problem: 'month "foo" is not a number or a name (jan-dec)',
    });
  });
});

describe('isTimeZone', () => {
  const zones: [string, boolean][] = [
    ['Etc/UTC', true],
    ['UTC', true],
    ['Europe/Paris', true],
    ['US/Pacific', true],
    ['Europe/Pariss', false],
    ['europe/paris', false],
    ['Local', false],
    ['+02:00', false],
    ['', false],
  ];
  for (const [zone, valid] of zones) {
    it(`${valid ? 'accepts' : 'refuses'} "${zone}"`, () => {
      expect(isTimeZone(zone)).toBe(valid);
    });
  }
});
