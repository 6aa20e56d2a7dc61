import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calendarEventProblem, isCalendarExpression } from '../../lib/internal';

/** What the real `systemd-analyze calendar` said of each expression (see the file's "systemd"). */
const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/systemd-calendar-verdicts.json'), 'utf8')) as {
  systemd: string;
  verdicts: Array<{ expression: string; valid: boolean }>;
};

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

/** The real program's verdict; TZ=UTC as when the fixture was recorded (its local zone names are UTC's). */
function systemdTakes(expression: string): boolean {
  return spawnSync('systemd-analyze', ['calendar', expression], { env: { ...process.env, TZ: 'UTC' } }).status === 0;
}

describe('systemd calendar events', () => {
  it('gives the verdicts of systemd-analyze calendar on every recorded expression, valid and invalid', () => {
    expect(FIXTURE.verdicts.length).toBeGreaterThanOrEqual(50);
    expect(FIXTURE.verdicts.filter((v) => v.valid).length).toBeGreaterThanOrEqual(25);
    expect(FIXTURE.verdicts.filter((v) => !v.valid).length).toBeGreaterThanOrEqual(25);
    const wrong = FIXTURE.verdicts.filter((v) => (calendarEventProblem(v.expression) === undefined) !== v.valid);
    expect(wrong.map((v) => `${v.valid ? 'valid' : 'invalid'} for ${FIXTURE.systemd}: "${v.expression}" → ${calendarEventProblem(v.expression) ?? 'valid'}`)).toEqual([]);
  });

  it.runIf(hasSystemdAnalyze)('the recorded verdicts are still those of the installed systemd-analyze', () => {
    const changed = FIXTURE.verdicts.filter((v) => systemdTakes(v.expression) !== v.valid);
    expect(changed.map((v) => v.expression)).toEqual([]);
  });

  it.runIf(hasSystemdAnalyze)('agrees with systemd-analyze on expressions built at random from the grammar', () => {
    let seed = 20261201;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = <T>(items: readonly T[]) => items[random(items.length)];
    const element = (max: number) => pick([() => String(random(max)), () => `${random(max)}..${random(max)}`, () => `${random(max)}/${random(max)}`, () => '*'])();
    const chain = (max: number) => Array.from({ length: 1 + random(2) }, () => element(max)).join(',');
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const disagreements: string[] = [];
    for (let i = 0; i < 200; i++) {
      const parts: string[] = [];
      if (random(2)) parts.push(random(2) ? pick(days) : `${pick(days)}..${pick(days)}`);
      if (random(2)) parts.push(`${random(2) ? chain(2300) + '-' : ''}${chain(14)}${pick(['-', '~'])}${chain(34)}`);
      if (random(3)) parts.push(`${chain(26)}:${chain(62)}${random(2) ? ':' + chain(62) : ''}`);
      if (random(4) === 0) parts.push(pick(['UTC', 'Europe/Berlin']));
      const expression = parts.join(' ') || 'daily';
      if ((calendarEventProblem(expression) === undefined) !== systemdTakes(expression)) {
        disagreements.push(expression);
      }
    }
    expect(disagreements).toEqual([]);
  }, 60_000);

  it('says why an expression is refused', () => {
    expect(calendarEventProblem('Mon..Fri 25:99')).toBe('hour 25 is not within 0..23');
    expect(calendarEventProblem('every other tuesday')).toBe('it is neither a shorthand (daily, weekly, …) nor weekdays, a date or a time');
    expect(calendarEventProblem('Mon 10:00 tomorrow')).toBe('" tomorrow" cannot follow the minutes');
    expect(calendarEventProblem('Sat..Mon')).toBe('the weekday range ends before it starts (Sat..Mon)');
    expect(calendarEventProblem('*-*~29')).toBe('day 29 is not within 1..28');
    expect(calendarEventProblem('*:00/60')).toBe('the minute repetition /60 is longer than 0..59');
    expect(calendarEventProblem('1969-01-01')).toBe('year 1969 is not within 1970..2199');
    expect(calendarEventProblem('')).toBe('it is empty');
  });

  it('takes the shorthands, weekday lists and ranges, "~" last days, repetitions and time zones', () => {
    for (const ok of ['daily', 'Weekly', 'semi-annually', 'Mon..Fri 02:00', 'Sat,Sun 10:00', '*-*~01', '*-*-* 03:30:00', '*:0/15', 'Mon *-*-* 00:00:00 Europe/Berlin', 'daily UTC', '@1700000000', '*:*:0.5..1.5']) {
      expect(isCalendarExpression(ok), ok).toBe(true);
    }
    // Shell and Nix syntax cannot pass.
    for (const bad of ['daily; rm -rf /', '${x}', 'daily"', 'Mon\n10:00', 'daily $(id)']) {
      expect(isCalendarExpression(bad), bad).toBe(false);
    }
  });
});
