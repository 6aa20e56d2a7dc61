/**
 * Checks of the names that become host names, user names, attribute names and file paths.
 * A name that passes these contains no `/`, no `..` and no character a shell or Nix would read
 * as syntax, so it is safe wherever the projections put it.
 */
import { isCalendarEvent } from './calendar';

/**
 * A host name as NixOS accepts it (`networking.hostName`) and DNS can carry: one label of
 * lower-case letters, digits and hyphens, 1–63 characters, not starting or ending with a hyphen.
 */
export function isHostName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name);
}

/** A Linux user name as `useradd` accepts it by default: lower case, up to 32 characters. */
export function isUserName(name: string): boolean {
  return /^[a-z_][a-z0-9_-]{0,31}$/.test(name);
}

/** A DNS domain: labels as in {@link isHostName}, joined by dots. */
export function isDomainName(name: string): boolean {
  return name.length <= 253 && name.split('.').every(isHostName);
}

/**
 * A name that becomes one path segment or identifier: letters, digits, `.`, `_`, `-`, starting
 * with a letter or digit (so never `.` or `..`).
 */
export function isSafeName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name);
}

/** An IANA time zone name such as `Europe/Berlin` or `UTC`, as the Node.js runtime knows them. */
export function isTimeZone(zone: string): boolean {
  // Asking Intl is slow (it loads the zone's data) and every host asks about the same few zones.
  let known = timeZoneChecks.get(zone);
  if (known === undefined) {
    known = checkTimeZone(zone);
    timeZoneChecks.set(zone, known);
  }
  return known;
}

const timeZoneChecks = new Map<string, boolean>();
let canonicalZones: Set<string> | undefined;

function checkTimeZone(zone: string): boolean {
  // The canonical names come as one list (~3 ms); constructing a formatter loads ICU's zone
  // data (~15–20 ms of a cold run), so it is asked only about the rest (aliases like US/Pacific).
  // ECMA-402 requires UTC, which Node 20's list leaves out.
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  if (canonicalZones.has(zone)) {
    return true;
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return /^[A-Za-z0-9_+/-]+$/.test(zone);
  } catch {
    return false;
  }
}

/** A glibc locale name such as `en_US.UTF-8` or `de_DE.UTF-8`. */
export function isLocaleName(locale: string): boolean {
  return /^[a-z]{2,3}_[A-Z]{2}(\.(UTF-8|utf8))?(@[a-z]+)?$/.test(locale) || locale === 'C.UTF-8';
}

/** A NixOS release as `system.stateVersion` takes it: `YY.05` or `YY.11`. */
export function isNixosRelease(version: string): boolean {
  return /^\d{2}\.(05|11)$/.test(version);
}

/** A nixpkgs attribute path naming a package (`htop`, `python3Packages.ipython`). */
export function isPackageName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/.test(name);
}

/**
 * Is this a systemd calendar expression that systemd takes (`daily`, `Mon..Fri 02:00`,
 * `*-*-* 03:30:00`, `*-*~01`, `daily Europe/Berlin`)? Read by the grammar of systemd.time(7)
 * (see calendar.ts), so no shell or Nix syntax can pass either.
 */
export function isCalendarExpression(schedule: string): boolean {
  return isCalendarEvent(schedule);
}

/**
 * A Terraform identifier for a name: letters, digits and `_`, not starting with a digit. In core
 * (not the Terraform projection) because the runbook names the stack's objects too, without
 * loading cdktf.
 */
export function terraformName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** The flake package that builds a Raspberry Pi's SD image (`nix build .#<host>-sd-image`). */
export function sdImagePackageName(hostName: string): string {
  return `${hostName}-sd-image`;
}
