/**
 * Props that no interface declares. Apps run through tsx, which strips types without checking
 * them, so a misspelled prop (`ipAdress: '10.0.0.5'`) would be ignored and its default used
 * silently (or another check would fail far from the cause). Each construct checks its props
 * against the keys of its props interface (generated from the sources by
 * tools/generate-prop-shapes.ts) and reports an unknown key with the closest known one, nested
 * plain objects (`network: { cidr }`, a VM's `disks: [{ size }]`) included.
 */
import { closest, distance } from 'fastest-levenshtein';
import { IConstruct } from 'constructs';
import { CONSTRUCTOR_PROPS, PROP_SHAPES } from './prop-shapes.generated';
import { recordError } from './problems';
import { quoted } from './readable';
import { problem } from './validation';

/**
 * Records an error on `scope` for every key of `props` (and of the plain objects nested in it)
 * that the interface `shape` does not declare. Call it in the constructor, with the props as
 * given.
 */
export function checkProps(scope: IConstruct, shape: string, props: unknown): void {
  for (const message of unknownProps(shape, props)) {
    recordError(scope, message);
  }
}

/** The messages for the keys of `props` that the interface `shape` does not declare. */
export function unknownProps(shape: string, props: unknown, at = ''): string[] {
  const keys = PROP_SHAPES[shape];
  if (keys === undefined || !isPlainObject(props)) {
    return [];
  }
  const found: string[] = [];
  const known = Object.keys(keys);
  for (const [key, value] of Object.entries(props)) {
    const field = at ? `${at}.${key}` : key;
    if (!(key in keys)) {
      if (value === undefined) {
        continue; // `{ ...options }` with an unset optional: nothing was meant
      }
      const near = nearest(key, known);
      found.push(
        problem(
          `${shape} has no prop ${quoted(field)}${near ? ` (did you mean ${quoted(near)}?)` : ''}`,
          near ? `write ${near}` : `remove it, or use one of ${shape}'s props: ${known.join(', ')}`,
        ),
      );
      continue;
    }
    const nested = keys[key];
    // Props that become another construct's (a Homelab's network) are checked by that construct.
    if (nested !== null && !CONSTRUCTOR_PROPS.has(nested)) {
      const items = Array.isArray(value) ? value.map((v, i) => [v, `${field}[${i}]`] as const) : [[value, field] as const];
      for (const [item, itemField] of items) {
        found.push(...unknownProps(nested, item, itemField));
      }
    }
  }
  return found;
}

/** The known key closest to `key`, if it is a likely misspelling (a few edits, or a case slip). */
function nearest(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) {
    return undefined;
  }
  const sameCase = known.find((k) => k.toLowerCase() === key.toLowerCase());
  if (sameCase) {
    return sameCase;
  }
  const best = closest(key, [...known]);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
