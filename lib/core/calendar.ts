/**
 * systemd calendar events (`OnCalendar=`), read as systemd reads them (systemd.time(7), "Calendar
 * Events"): `[weekdays] [[year-]month-day] [hour:minute[:second]] [time zone]`, or a shorthand
 * such as `daily`, or `@` and a UNIX time. The verdicts are the same as `systemd-analyze
 * calendar`'s (systemd 252; test/core/calendar.test.ts compares them on the real program), except
 * that a time zone must be an IANA name that Node.js knows (or `UTC`): systemd also takes the
 * local zone's abbreviations (`CEST` on a host in Europe/Berlin) and other files of its zoneinfo
 * folder (`posixrules`), which depend on the machine that runs the timer.
 */

const SHORTHANDS = new Set([
  'minutely',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'semiannually',
  'semi-annually',
  'biannually',
  'bi-annually',
  'yearly',
  'annually',
  'anually',
]);

const WEEKDAYS: ReadonlyArray<readonly [string, number]> = [
  ['monday', 0],
  ['mon', 0],
  ['tuesday', 1],
  ['tue', 1],
  ['wednesday', 2],
  ['wed', 2],
  ['thursday', 3],
  ['thu', 3],
  ['friday', 4],
  ['fri', 4],
  ['saturday', 5],
  ['sat', 5],
  ['sunday', 6],
  ['sun', 6],
];

const USEC = 1_000_000;
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
/** systemd refuses longer `,` lists of one component. */
const MAX_LIST = 240;

/** One element of a component's `,` list: a value, a range `a..b`, a repetition `a/n` or `a..b/n`. */
interface Element {
  start: number;
  /** The range's end; -1 for none. */
  stop: number;
  /** The repetition; 0 for none. */
  repeat: number;
}

/** Why an expression was refused, in words for a message. */
class CalendarSyntaxError extends Error {}

/**
 * Why systemd would refuse this calendar event, or undefined when it takes it.
 * `calendarEventProblem("Mon..Fri 25:99")` → `hour 25 is not within 0..23`.
 */
export function calendarEventProblem(expression: string): string | undefined {
  try {
    checkCalendarEvent(expression);
    return undefined;
  } catch (e) {
    if (e instanceof CalendarSyntaxError) {
      return e.message;
    }
    throw e;
  }
}

/** Does systemd take this calendar event (`daily`, `Mon..Fri 02:00`, `*-*-* 03:30:00`, `*-*~01`)? */
export function isCalendarEvent(expression: string): boolean {
  return calendarEventProblem(expression) === undefined;
}

function fail(reason: string): never {
  throw new CalendarSyntaxError(reason);
}

function checkCalendarEvent(input: string): void {
  let text = input;
  // The time zone: " UTC" (any case), else a last word that names a zone.
  if (/ utc$/i.test(text)) {
    text = text.slice(0, -4);
  } else {
    const space = text.lastIndexOf(' ');
    if (space >= 0 && isZoneName(text.slice(space + 1))) {
      text = text.slice(0, space);
    }
  }
  if (text === '') {
    fail('it is empty');
  }
  if (SHORTHANDS.has(text.toLowerCase())) {
    return;
  }
  const reader = new Reader(text);
  readWeekdays(reader);
  if (reader.at === 0 && !/^[0-9*@]/.test(text)) {
    fail('it is neither a shorthand (daily, weekly, …) nor weekdays, a date or a time');
  }
  const date = readDate(reader);
  if (date.timestamp) {
    if (!reader.atEnd()) fail(`"${reader.rest()}" follows the UNIX time`);
    return;
  }
  const time = readTime(reader);
  if (!reader.atEnd()) {
    fail(`"${reader.rest()}" cannot follow the time`);
  }
  const years = date.year?.map((e) => ({ start: fullYear(e.start), stop: e.stop < 0 ? -1 : fullYear(e.stop), repeat: e.repeat }));
  const endOfMonth = date.endOfMonth === true && date.day !== undefined;
  checkChain('year', years, MIN_YEAR, MAX_YEAR, false);
  checkChain('month', date.month, 1, 12, false);
  checkChain('day', date.day, 1, 31, endOfMonth);
  checkChain('hour', time.hour, 0, 23, false);
  checkChain('minute', time.minute, 0, 59, false);
  checkChain('second', time.second, 0, 60 * USEC - 1, false, USEC);
}

/** A time zone name as systemd finds it in its zoneinfo folder: case matters. */
function isZoneName(zone: string): boolean {
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)) {
    return false;
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  if (resolved.toLowerCase() === zone.toLowerCase()) {
    return resolved === zone;
  }
  // An alias (US/Eastern → America/New_York): its parts begin with a capital, as the files do.
  return zone.split('/').every((part) => /^[A-Z]/.test(part));
}

/** `12` → 2012, `89` → 1989, as systemd reads two-digit years. */
function fullYear(year: number): number {
  return year < 70 ? year + 2000 : year < 100 ? year + 1900 : year;
}

class Reader {
  public at = 0;
  public constructor(public readonly text: string) {}
  public peek(offset = 0): string {
    return this.text[this.at + offset] ?? '';
  }
  public atEnd(): boolean {
    return this.at >= this.text.length;
  }
  public rest(): string {
    return this.text.slice(this.at);
  }
  public skipSpaces(): void {
    while (this.peek() === ' ') this.at++;
  }
}

/** `Mon`, `Mon,Fri`, `Mon..Fri`, `Mon-Fri`, `Sat,Sun,` then a space or the end; or nothing. */
function readWeekdays(r: Reader): void {
  let rangeStart = -1;
  let first = true;
  for (;;) {
    const rest = r.rest().toLowerCase();
    const day = WEEKDAYS.find(([name]) => rest.startsWith(name));
    if (!day) {
      if (first) return;
      fail(`"${r.rest()}" is not a weekday`);
    }
    const [name, index] = day;
    const next = r.text[r.at + name.length] ?? '';
    if (!['', '-', '.', ',', ' '].includes(next)) {
      fail(`"${r.rest()}" is not a weekday`);
    }
    if (rangeStart >= 0 && rangeStart > index) {
      fail(`the weekday range ends before it starts (${r.text.slice(0, r.at + name.length)})`);
    }
    r.at += name.length;
    if (r.atEnd()) return;
    if (r.peek() === ' ') {
      r.skipSpaces();
      return;
    }
    if (r.peek() === '.') {
      if (rangeStart >= 0 || r.peek(1) !== '.') fail('a weekday range is "Mon..Fri"');
      rangeStart = index;
      r.at += 2;
    } else if (r.peek() === '-') {
      if (rangeStart >= 0) fail('a weekday range is "Mon..Fri"');
      rangeStart = index;
      r.at += 1;
    } else if (r.peek() === ',') {
      rangeStart = -1;
      r.at += 1;
    }
    // A trailing comma is taken, an open range is not.
    if (r.atEnd() || r.peek() === ' ') {
      r.skipSpaces();
      if (rangeStart >= 0) fail('the weekday range has no end');
      return;
    }
    first = false;
  }
}

interface DatePart {
  readonly timestamp?: boolean;
  readonly year?: Element[];
  readonly month?: Element[];
  readonly day?: Element[];
  readonly endOfMonth?: boolean;
}

/** `year-month-day`, `month-day` (`~` for days from the month's end), `@seconds`; or nothing (a time follows). */
function readDate(r: Reader): DatePart {
  if (r.atEnd()) return {};
  if (r.peek() === '@') {
    const m = /^@\s*([+-]?)(\d+)/.exec(r.rest());
    if (!m) fail('"@" takes a UNIX time in seconds');
    const seconds = Number(m[2]);
    // 2199-12-31 23:59:59 UTC is the last time systemd takes.
    if ((m[1] === '-' && seconds !== 0) || seconds > Date.UTC(MAX_YEAR + 1, 0, 1) / 1000 - 1) {
      fail(`the UNIX time ${m[1]}${m[2]} is not within ${MIN_YEAR}..${MAX_YEAR}`);
    }
    r.at += m[0].length;
    return { timestamp: true };
  }
  const start = r.at;
  const first = readChain(r, false);
  // A ":" (or the end): this was the hour of a time.
  if (r.atEnd() || r.peek() === ':') {
    r.at = start;
    return {};
  }
  let endOfMonth = false;
  const separator = () => {
    if (r.peek() === '~') endOfMonth = true;
    else if (r.peek() !== '-') fail(`"${r.rest()}" cannot follow a date's part`);
    r.at++;
  };
  separator();
  const second = readChain(r, false);
  if (r.atEnd() || r.peek() === ' ') {
    r.skipSpaces();
    return { month: first, day: second, endOfMonth };
  }
  if (endOfMonth) fail('"~" may only come before the day');
  separator();
  const third = readChain(r, false);
  if (!r.atEnd() && r.peek() !== ' ') fail(`"${r.rest()}" cannot follow the date`);
  r.skipSpaces();
  return { year: first, month: second, day: third, endOfMonth };
}

interface TimePart {
  readonly hour?: Element[];
  readonly minute?: Element[];
  readonly second?: Element[];
}

/** `hour:minute[:second]`, the seconds with up to six decimals; nothing means 00:00:00. */
function readTime(r: Reader): TimePart {
  const zero = (): Element[] => [{ start: 0, stop: -1, repeat: 0 }];
  if (r.atEnd()) return { hour: zero(), minute: zero(), second: zero() };
  const hour = readChain(r, false);
  if (r.peek() !== ':') fail(`"${r.text}" has no time (hour:minute)`);
  r.at++;
  const minute = readChain(r, false);
  if (r.atEnd()) return { hour, minute, second: zero() };
  if (r.peek() !== ':') fail(`"${r.rest()}" cannot follow the minutes`);
  r.at++;
  const second = readChain(r, true);
  return { hour, minute, second };
}

/** `*` (undefined: any), or a `,` list of elements. */
function readChain(r: Reader, seconds: boolean): Element[] | undefined {
  if (r.peek() === '*') {
    r.at++;
    return seconds ? [{ start: 0, stop: -1, repeat: USEC }] : undefined;
  }
  const chain: Element[] = [];
  for (;;) {
    if (chain.length > MAX_LIST) fail(`a list has more than ${MAX_LIST} elements`);
    const start = readNumber(r, seconds);
    let stop = -1;
    let repeat = 0;
    if (r.peek() === '.' && r.peek(1) === '.') {
      r.at += 2;
      stop = readNumber(r, seconds);
      repeat = seconds ? USEC : 1;
    }
    if (r.peek() === '/') {
      r.at++;
      repeat = readNumber(r, seconds);
      if (repeat === 0) fail('a repetition "/0" never repeats');
    }
    if (!['', ' ', ',', '-', '~', ':'].includes(r.peek())) {
      fail(`"${r.rest()}" is not part of a calendar event`);
    }
    chain.push({ start, stop, repeat });
    if (r.peek() !== ',') return chain;
    r.at++;
  }
}

/** A whole number; with `seconds`, in microseconds, with up to six decimals. */
function readNumber(r: Reader, seconds: boolean): number {
  const m = /^\d+/.exec(r.rest());
  if (!m) fail(`"${r.rest() || r.text}" is not a number`);
  r.at += m[0].length;
  let value = Number(m[0]);
  if (seconds) {
    value *= USEC;
    // One "." is a decimal point, ".." a range.
    if (r.peek() === '.' && r.peek(1) !== '.') {
      const fraction = /^\.(\d+)/.exec(r.rest());
      if (!fraction) fail(`"${r.rest()}" is not a decimal fraction`);
      r.at += fraction[0].length;
      // Six decimals, rounded on the seventh (59.9999995 is 60).
      value += Number(fraction[1].slice(0, 6).padEnd(6, '0')) + (Number(fraction[1][6] ?? '0') >= 5 ? 1 : 0);
    }
  }
  if (value > 2 ** 31 - 1) fail(`${m[0]} is too large`);
  return value;
}

/** The elements are within `from..to` and each repetition can happen at least once. */
function checkChain(what: string, chain: Element[] | undefined, from: number, to: number, endOfMonth: boolean, unit = 1): void {
  if (!chain) return;
  const show = (n: number) => String(n / unit);
  // Days counted from the month's end reach back 28 days at most.
  const last = endOfMonth ? to - 3 : to;
  const range = `${show(from)}..${show(last)}`;
  for (const original of chain) {
    const e = { ...original };
    // As systemd normalizes: a range ends on a repetition; one that ends where it starts is a value.
    if (e.stop > e.start && e.repeat > 0) e.stop -= (e.stop - e.start) % e.repeat;
    if (e.start === e.stop) {
      e.stop = -1;
      e.repeat = 0;
    }
    if (e.start < from || e.start > last) fail(`${what} ${show(e.start)} is not within ${range}`);
    if (e.repeat > last - from) fail(`the ${what} repetition /${show(e.repeat)} is longer than ${range}`);
    if (e.stop >= 0) {
      if (e.stop < from || e.stop > last) fail(`${what} ${show(e.stop)} is not within ${range}`);
      if (e.start + e.repeat > e.stop) fail(`the ${what} range ${show(e.start)}..${show(e.stop)} ends before it starts`);
    } else if (endOfMonth ? e.start - e.repeat < from : e.start + e.repeat > last) {
      fail(`the ${what} repetition ${show(e.start)}/${show(e.repeat)} never repeats within ${range}`);
    }
  }
}
