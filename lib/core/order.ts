/**
 * The order of everything the library sorts (constructs, files, keys): by UTF-16 code units, so
 * the same on every machine and locale, which `localeCompare` is not. Deterministic output
 * depends on it.
 */

/** Compares two strings by code units. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator that orders items by a text key (`byText((h) => h.hostName)`). */
export function byText<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}
