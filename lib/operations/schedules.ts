/**
 * Schedules of the lab's timers: systemd calendar expressions (`daily`, `Sun 03:00`) and how long
 * a named one waits between runs, for alerts on a job that stopped running.
 */

export { isCalendarExpression } from '../core/names';

const NAMED_PERIOD_HOURS: Readonly<Record<string, number>> = {
  minutely: 1 / 60,
  hourly: 1,
  daily: 24,
  weekly: 24 * 7,
  monthly: 24 * 31,
  quarterly: 24 * 92,
  semiannually: 24 * 184,
  yearly: 24 * 366,
  annually: 24 * 366,
};

/** The longest time between two runs of a named schedule (`daily` → 24), in hours; undefined for other expressions. */
export function schedulePeriodHours(schedule: string): number | undefined {
  return NAMED_PERIOD_HOURS[schedule.trim().toLowerCase()];
}

/**
 * How old the last success of a scheduled job may be before it counts as failing: two periods of
 * a named schedule (one run may fail), else `fallbackHours`.
 */
export function staleAfterHours(schedule: string, fallbackHours: number): number {
  const period = schedulePeriodHours(schedule);
  return period === undefined ? fallbackHours : Math.max(1, Math.ceil(2 * period));
}
