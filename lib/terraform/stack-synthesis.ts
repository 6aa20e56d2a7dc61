/**
 * A stack's Terraform JSON as cdktf 0.21's `TerraformStack.toTerraform()` makes it, with cdktf's
 * token resolution applied only where a token can be.
 *
 * `toTerraform()` (node_modules/cdktf/lib/terraform-stack.js) resolves every element's metadata
 * and fragment, deep-merges them, and resolves the merged whole once more
 * (node_modules/cdktf/lib/tokens/private/resolve.js `resolve`). That walk visits every value of
 * the stack twice and, per value, builds a context with two closures, a new prefix array and a
 * "/"-joined path for messages: at 4000 VMs it was two thirds of the Terraform projection
 * (issue 17). Most values are plain data (strings without a token marker, small numbers, lists
 * and maps of them), which `resolve` returns as they are (objects and lists copied, `undefined`
 * dropped). {@link resolveTokens} copies plain data the same way and hands everything else,
 * whole, to cdktf's own `resolve`, so each token is resolved by cdktf exactly as before.
 * test/terraform/stack-synthesis.test.ts shows the same bytes as `toTerraform()` for the
 * reference lab and a lab of several stacks.
 */
import { TerraformElement, TerraformOutput, TerraformStack, Token, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';
import { resolve } from 'cdktf/lib/_tokens';
import { deepMerge } from 'cdktf/lib/util';

/**
 * Past this depth the value goes to cdktf's `resolve` whole, which stops a cyclic value with its
 * own error (it refuses a prefix longer than 200).
 */
const MAX_PLAIN_DEPTH = 100;

/**
 * Below this magnitude a number is no token: cdktf encodes a token as a double whose top 16 bits
 * are 0xfdff (a string's number token) or 0xfbff (a list's), about -1.8e289
 * (tokens/private/encoding.js `DOUBLE_TOKEN_MARKER_BITS`, `extractTokenDouble`).
 */
const TOKEN_DOUBLE_MAGNITUDE = 1e250;

/**
 * What cdktf's `resolve(scope, value)` returns, for values whose plain parts need no resolving.
 *
 * `resolve` (tokens/private/resolve.js) changes a string only when it holds a string or list
 * token marker or a number token's text (`TokenString.forString/forListToken/forNumbers`) or is a
 * map token's value, a number only when it is a token's double or the map token number, and returns
 * other primitives and Dates as they are; it copies arrays (dropping `undefined`) and objects
 * (dropping `undefined` values) unless they hold list, number-list or map tokens, are resolvable,
 * or are constructs. Plain data is copied the same way here; anything else is given to `resolve`
 * whole, with a fresh context: the context's settings (suppressBraces, escapes, the iterator) are
 * only ever set by a token for what it resolves itself, so plain data above a token passes them on
 * unset, as a fresh context has them. Only the path in cdktf's messages starts below the part.
 */
export function resolveTokens(scope: IConstruct, value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return isPlainString(value) ? value : resolve(scope, value);
  }
  if (typeof value === 'number') {
    return value !== Token.NUMBER_MAP_TOKEN_VALUE && Math.abs(value) < TOKEN_DOUBLE_MAGNITUDE ? value : resolve(scope, value);
  }
  if (value === null || value === undefined || typeof value === 'boolean') {
    return value;
  }
  if (typeof value !== 'object' || value instanceof Date || depth > MAX_PLAIN_DEPTH) {
    return resolve(scope, value);
  }
  if (Array.isArray(value)) {
    if (!value.every(isPlainListElement)) {
      return resolve(scope, value);
    }
    const out: unknown[] = [];
    for (const item of value as unknown[]) {
      const resolved = resolveTokens(scope, item, depth + 1);
      if (resolved !== undefined) {
        out.push(resolved);
      }
    }
    return out;
  }
  if (Tokenization.isResolvable(value) || isConstruct(value)) {
    return resolve(scope, value);
  }
  const keys = Object.keys(value);
  if (!keys.every(isPlainString)) {
    return resolve(scope, value);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const resolved = resolveTokens(scope, (value as Record<string, unknown>)[key], depth + 1);
    if (resolved !== undefined) {
      out[key] = resolved;
    }
  }
  return out;
}

/**
 * One stack's Terraform JSON: cdktf 0.21's `TerraformStack.toTerraform()`
 * (node_modules/cdktf/lib/terraform-stack.js), step for step, with {@link resolveTokens} for its
 * `resolve(this, …)`.
 */
export function stackTerraform(stack: TerraformStack): Record<string, unknown> {
  // Private fields of TerraformStack, read as toTerraform() reads them.
  const { rawOverrides: overrides, cdktfVersion } = stack as unknown as { rawOverrides: Record<string, unknown>; cdktfVersion: string };
  const tf: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {
    version: cdktfVersion,
    stackName: stack.node.id,
    backend: 'local',
    cloud: undefined,
    ...(Object.keys(overrides).length > 0 ? { overrides: { stack: Object.keys(overrides) } } : {}),
  };
  const elements = terraformElements(stack);
  for (const meta of elements.map((e) => resolveTokens(stack, e.toMetadata()))) {
    deepMerge(metadata, meta);
  }
  const outputs: Record<string, unknown> = {};
  for (const item of elements) {
    if (TerraformOutput.isTerraformOutput(item)) {
      deepMerge(
        outputs,
        item.node.path.split('/').reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
      );
    }
  }
  tf['//'] = { metadata, outputs };
  for (const fragment of elements.map((e) => resolveTokens(stack, e.toTerraform()))) {
    deepMerge(tf, fragment);
  }
  deepMerge(tf, overrides);
  return resolveTokens(stack, tf) as Record<string, unknown>;
}

/** The stack's elements, depth first, without those of a nested stack (terraform-stack.js `terraformElements`). */
function terraformElements(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) {
    into.push(node);
  }
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) {
      terraformElements(child, into);
    }
  }
  return into;
}

/**
 * Text that cdktf's number-token pattern (`NUMBER_TOKEN_REGEX` of tokens/private/encoding.js,
 * `[-|\d|.\+]+(e[-|\d|.|e|E|\+]+)`) finds somewhere: one of its first characters, an "e", one of
 * its last. The same strings, without a TokenString and a global pattern for each.
 */
const NUMBER_TOKEN_TEXT = /[-|\d.+]e[-|\d.eE+]/;

/**
 * A string `resolve` returns unchanged (and does not refuse). Conservative: any string with a token
 * marker ("${TfToken[", "#{TfToken[", "&{TfToken[" all hold "TfToken[") or text like a number
 * token goes to `resolve`, which then does exactly what it always did with it.
 */
function isPlainString(s: string): boolean {
  return !s.includes('TfToken[') && !NUMBER_TOKEN_TEXT.test(s) && s !== Token.STRING_MAP_TOKEN_VALUE && s !== Token.ANY_MAP_TOKEN_VALUE;
}

/** An element that cannot make `resolve` treat its list as a list token (see {@link isPlainString}). */
function isPlainListElement(x: unknown): boolean {
  return typeof x === 'string' ? !x.includes('TfToken[') : typeof x !== 'number' || Math.abs(x) < TOKEN_DOUBLE_MAGNITUDE;
}

/** resolve.js `isConstruct`: what `resolve` refuses to walk into. */
function isConstruct(x: object): boolean {
  return (x as { _children?: unknown })._children !== undefined && (x as { _metadata?: unknown })._metadata !== undefined;
}
