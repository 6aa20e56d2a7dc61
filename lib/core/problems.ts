/**
 * How mistakes found while the tree is built become findings instead of exceptions, so that one
 * run reports all of them:
 *
 * - a construct's constructor records what it cannot accept with {@link recordError};
 * - every construct takes its id through {@link claimId}, which records a clash or an empty id
 *   and gives the construct a stand-in id, so the tree can still be built;
 * - a value without a construct (a `Size`, a `Secret`, a `Disk`) carries its problems
 *   ({@link addValueProblem}); the construct that holds the value reports them on its path, and
 *   so does a NUL character in any text a construct holds ({@link heldValueProblems}).
 */
import { Construct, IConstruct } from 'constructs';
import { cut, escapeControlCharacters } from './readable';

/**
 * A validation message in the house format: what is wrong, then the fix.
 * `problem("special vdev has 1 disk", "give it two disks")` →
 * `special vdev has 1 disk. Fix: give it two disks.`
 */
export function problem(what: string, fix: string): string {
  const trimmed = (s: string) => s.trim().replace(/[.\s]+$/, '');
  return `${trimmed(what)}. Fix: ${trimmed(fix)}.`;
}

/** Ids become file names (a host's folder, a stack's): a path segment holds at most 255 bytes. */
const MAX_ID_BYTES = 255;

/** Records an error on `scope`: reported with the validation's findings, on the scope's path. */
export function recordError(scope: IConstruct, message: string): void {
  scope.node.addValidation({ validate: () => [message] });
}

/**
 * The id a new construct takes under `scope`: `id` itself, or, when `scope` already has a child
 * of that name or the id is empty, a stand-in (`pve1~2`, `unnamed~1`) and an error on `scope`.
 * Call it in the constructor: `super(scope, claimId(scope, id))`.
 */
export function claimId(scope: IConstruct | undefined, id: string): string {
  const text = typeof id === 'string' ? id : String(id ?? '');
  if (scope === undefined) {
    return text;
  }
  if (text === '') {
    const standIn = freeId(scope, 'unnamed');
    recordError(scope, problem('a construct under it has an empty id', 'give every construct a name (the second argument of new X(scope, id, …))'));
    return standIn;
  }
  const shown = cut(escapeControlCharacters(text));
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    recordError(scope, problem(`the id "${shown}" of a construct under it holds a control character`, 'use letters, digits, "-", "_" and "."'));
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_ID_BYTES) {
    recordError(scope, problem(`the id "${shown}" of a construct under it is ${bytes} bytes long, and ids become file and resource names`, `give it an id of at most ${MAX_ID_BYTES} bytes`));
  }
  if (scope.node.tryFindChild(text) !== undefined) {
    const standIn = freeId(scope, text.replace(/[/\n]/g, '--'));
    recordError(
      scope,
      problem(
        `there is already a construct named "${shown}" in ${scope.node.path || scope.node.id || 'the lab'}`,
        'give one of them another id (ids name the files and resources made from them, so they must differ among siblings)',
      ),
    );
    return standIn;
  }
  return text;
}

function freeId(scope: IConstruct, base: string): string {
  for (let n = 1; ; n++) {
    const candidate = `${base}~${n}`;
    if (scope.node.tryFindChild(candidate) === undefined) {
      return candidate;
    }
  }
}

const PROBLEMS = Symbol.for('homelab-cdk.problems');

/** A value's problem: the message, given the name of the field that holds the value. */
export type ValueProblem = (field: string) => string;

/**
 * Marks a value (a Size, a Secret, a Disk) with a problem found when it was made. The construct
 * that holds it reports the problem on its path (see {@link heldValueProblems}). Returns `value`.
 */
export function addValueProblem<T extends object>(value: T, message: ValueProblem): T {
  const holder = value as unknown as Record<symbol, ValueProblem[] | undefined>;
  if (!holder[PROBLEMS]) {
    Object.defineProperty(value, PROBLEMS, { value: [], enumerable: false });
  }
  holder[PROBLEMS]!.push(message);
  return value;
}

/** The problems a value was marked with (none for anything else). */
export function valueProblemsOf(value: unknown): readonly ValueProblem[] {
  return typeof value === 'object' && value !== null ? ((value as Record<symbol, ValueProblem[] | undefined>)[PROBLEMS] ?? []) : [];
}

const MAX_DEPTH = 6;

/**
 * The problems of the values a construct holds in its fields (its props, sizes, secrets, disks,
 * nested in arrays, maps and objects but not in other constructs), and a NUL character in any
 * text it holds (no file, Nix string or shell word of the lab can carry one). A value seen
 * before in the same run (`seen`) is not reported again.
 */
export function heldValueProblems(construct: IConstruct, seen: Set<object>): string[] {
  const found: string[] = [];
  const nulTexts = new Set<string>();
  const visit = (value: unknown, field: string, depth: number): void => {
    if (typeof value === 'string') {
      if (value.includes('\0') && !nulTexts.has(value)) {
        nulTexts.add(value);
        found.push(problem(`${field} holds a NUL character (${cut(escapeControlCharacters(value))})`, 'remove it: no file, Nix string or command line can carry one'));
      }
      return;
    }
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value) || Construct.isConstruct(value)) {
      return;
    }
    seen.add(value);
    for (const p of valueProblemsOf(value)) {
      found.push(p(field));
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(v, `${field}[${typeof k === 'string' ? k : '…'}]`, depth + 1);
      }
    } else if (value instanceof Set || Array.isArray(value)) {
      let i = 0;
      for (const v of value) {
        visit(v, `${field}[${i++}]`, depth + 1);
      }
    } else if (!ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof RegExp)) {
      for (const key of Object.keys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if (descriptor && 'value' in descriptor) {
          visit(descriptor.value, field === '' ? key : `${field}.${key}`, depth + 1);
        }
      }
    }
  };
  for (const key of Object.keys(construct)) {
    if (key === 'node') {
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(construct, key);
    if (descriptor && 'value' in descriptor) {
      visit(descriptor.value, key, 1);
    }
  }
  return found;
}
