/**
 * The one serializer through which every value reaches a generated `.nix` file.
 *
 * Strings are always written as double-quoted Nix strings with `\`, `"` and `${` escaped, so no
 * model value can end a string or start an interpolation. Raw Nix code enters only through
 * {@link NixExpr}, whose constructors either validate what they are given (attribute paths,
 * path literals) or are named for what they are (`NixExpr.raw`, the escape hatch).
 */
import { problem } from './problems';

/** A Nix expression written as code, not as a value to serialize. */
export class NixExpr {
  /**
   * Raw Nix code, used as it is. The escape hatch for what the model does not express; the
   * caller owns its correctness: nothing checks it before Nix reads the flake.
   */
  public static raw(code: string): NixExpr {
    if (code.trim() === '') {
      throw new Error(problem('NixExpr.raw was given no Nix code', 'give it the Nix code to use as it is'));
    }
    return new NixExpr(code, false);
  }

  /** A reference to an attribute path such as `pkgs.htop` or `config.networking.hostName`. */
  public static ref(attrPath: string): NixExpr {
    const parts = attrPath.split('.');
    if (parts.length === 0 || parts.some((p) => !isNixIdentifier(p))) {
      throw new Error(problem(`"${attrPath}" is not a Nix attribute path`, 'write identifiers joined by dots, such as pkgs.htop'));
    }
    return new NixExpr(attrPath, true);
  }

  /** `base.<name>` where name may need quoting (e.g. a package called `nerd-fonts.fira`). */
  public static select(base: string, ...names: string[]): NixExpr {
    NixExpr.ref(base);
    return new NixExpr([base, ...names.map(nixAttrName)].join('.'), true);
  }

  /**
   * A relative path literal (`./hardware-configuration.nix`, `../../modules/base.nix`).
   * Only plain file name characters are accepted, so the literal never needs quoting.
   */
  public static path(relativePath: string): NixExpr {
    const parts = /^(\.\/|(?:\.\.\/)+)(.+)$/.exec(relativePath);
    const segments = parts ? parts[2].split('/') : [];
    if (!parts || segments.some((s) => !/^[A-Za-z0-9._+-]+$/.test(s) || s === '.' || s === '..')) {
      throw new Error(problem(`"${relativePath}" is not a relative Nix path literal`, 'write ./a/b.nix or ../a/b.nix, with letters, digits and . _ + - in the names'));
    }
    return new NixExpr(relativePath, true);
  }

  /** Function application, `fn arg`, with the argument serialized. */
  public static call(fn: string, ...args: NixValue[]): NixExpr {
    NixExpr.ref(fn);
    return new NixExpr((indent) => [fn, ...args.map((a) => serializeNested(a, indent, { parent: undefined, name: fn }, true))].join(' '), false);
  }

  /** Nix `null`. JavaScript `null` and `undefined` are refused by the serializer on purpose. */
  public static readonly NULL = new NixExpr('null', true);

  private readonly render: (indent: number) => string;

  private constructor(
    code: string | ((indent: number) => string),
    /** True when the code needs no parentheses as a list element or function argument. */
    public readonly isAtomic: boolean,
  ) {
    this.render = typeof code === 'string' ? () => code : code;
  }

  /** The Nix code, laid out for a place `indent` columns deep. */
  public codeAt(indent: number): string {
    return this.render(indent);
  }

  /** The Nix code. */
  public get code(): string {
    return this.render(0);
  }
}

/** A value the serializer can write as Nix. `undefined` object members are left out. */
export type NixValue =
  | string
  | number
  | boolean
  | NixExpr
  | readonly NixValue[]
  | { readonly [key: string]: NixValue | undefined };

/** An attribute set as the serializer takes it. */
export type NixAttrs = { readonly [key: string]: NixValue | undefined };

const NIX_KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);

/** Is this a Nix identifier that can stand unquoted as an attribute name? */
export function isNixIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) && !NIX_KEYWORDS.has(name);
}

/** A Nix string literal holding exactly `value`. */
export function nixString(value: string): string {
  // Most values (names, paths, units) have nothing to escape: they are checked and quoted as they are.
  if (!NEEDS_ESCAPE.test(value) && value.isWellFormed()) {
    return `"${value}"`;
  }
  if (value.includes('\0')) {
    throw new Error('a Nix string cannot contain a NUL character');
  }
  if (!value.isWellFormed()) {
    throw new Error('a Nix string must be valid Unicode (the value has a lone surrogate)');
  }
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$\{/g, '\\${')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

// What nixString escapes or refuses (`$` for `${`); a string without any is written as it is.
const NEEDS_ESCAPE = /[\\"$\n\r\t\0]/;

/** An attribute name: bare when it is an identifier, quoted otherwise. */
export function nixAttrName(name: string): string {
  let written = ATTR_NAMES.get(name);
  if (written === undefined) {
    written = isNixIdentifier(name) ? name : nixString(name);
    if (ATTR_NAMES.size >= ATTR_NAME_CACHE_SIZE) {
      ATTR_NAMES.clear();
    }
    ATTR_NAMES.set(name, written);
  }
  return written;
}

// Attribute names as written, by name: a flake repeats the same few hundred names (`enable`,
// `boot`, `services`…) in every host's modules, and testing each against the identifier pattern
// again was a tenth of the serializer at 1601 hosts (issue 17). Bounded, for a process that
// serializes many labs.
const ATTR_NAMES = new Map<string, string>();
const ATTR_NAME_CACHE_SIZE = 10_000;

/** Options of {@link toNix}. */
export interface ToNixOptions {
  /**
   * Columns of indentation of the place the value is written at; lines after the first get it.
   * @default 0
   */
  readonly indent?: number;
}

/** Serializes a value as a Nix expression. Throws on `null`, `undefined`, NaN and infinities. */
export function toNix(value: NixValue, options: ToNixOptions = {}): string {
  return serializeNested(value, options.indent ?? 0, undefined, false);
}

/**
 * The members of an attribute set as `name = value;` lines, without the braces: for templates
 * that write a module's body. Every line is indented by `indent`.
 */
export function toNixAttrsBody(attrs: NixAttrs, options: ToNixOptions = {}): string {
  assertPlainObject(attrs, undefined);
  const indent = options.indent ?? 0;
  return attrLines(attrs, indent, undefined, padOf(indent)).join('\n');
}

// Indentation strings by width, made once: the serializer pads every line it writes.
const PADS: string[] = [];

function padOf(width: number): string {
  return (PADS[width] ??= ' '.repeat(width));
}

const INLINE_LIST_WIDTH = 72;

/**
 * Where a value sits in what is serialized (`services.openssh.enable`, `imports.[0]`), for error
 * messages only: a link to its parent, spelled out only when a message needs it, so that the
 * serializer builds no path for the many values that are fine.
 */
interface ValuePath {
  readonly parent: ValuePath | undefined;
  /** A member's name, or a list element's index (spelled `[i]`, made only for a message). */
  readonly name: string | number;
}

/** ` at a.b.c`, or nothing at the top. */
function whereOf(path: ValuePath | undefined): string {
  const names: string[] = [];
  for (let p = path; p !== undefined; p = p.parent) {
    names.push(typeof p.name === 'number' ? `[${p.name}]` : p.name);
  }
  return names.length ? ` at ${names.reverse().join('.')}` : '';
}

function serializeNested(value: unknown, indent: number, path: ValuePath | undefined, asElement: boolean): string {
  if (value === undefined || value === null) {
    throw new Error(`cannot write ${value === null ? 'null' : 'undefined'} as Nix${whereOf(path)} (use NixExpr.NULL for Nix null)`);
  }
  switch (typeof value) {
    case 'string':
      return nixStringAt(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return nixNumber(value, path, asElement);
    case 'object':
      if (Array.isArray(value)) {
        return nixList(value, indent, path);
      }
      // Plain objects first: they are most values, and no NixExpr has their prototype.
      if (isPlainObject(value)) {
        return nixAttrSet(value as NixAttrs, indent, path);
      }
      if (value instanceof NixExpr || isNixExprLike(value)) {
        const expr = value as NixExpr;
        const code = expr.codeAt(indent);
        return asElement && !expr.isAtomic ? `(${code})` : code;
      }
      assertPlainObject(value, path);
      return nixAttrSet(value as NixAttrs, indent, path);
    default:
      throw new Error(`cannot write a ${typeof value} as Nix${whereOf(path)}`);
  }
}

/**
 * Why a number cannot be written as Nix, or undefined when it can: NaN and infinities have no
 * literal; whole numbers beyond 2^53 are not exact in JavaScript, and beyond 2^63 − 1 Nix refuses
 * them ("invalid integer"), so a whole number that large is refused rather than written as a
 * float Nix would read differently. For the validations of escape hatches that take numbers.
 */
export function nixNumberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) {
    return `${value} has no Nix literal`;
  }
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return Math.abs(value) >= 2 ** 63
      ? `${value} is beyond Nix's 64-bit integers (at most 9223372036854775807 in magnitude), which Nix refuses as an invalid integer`
      : `${value} is outside the integers Nix and JavaScript share exactly (at most 2^53 in magnitude)`;
  }
  return undefined;
}

function nixNumber(value: number, path: ValuePath | undefined, asElement: boolean): string {
  if (!Number.isFinite(value)) {
    throw new Error(`cannot write ${value} as Nix${whereOf(path)}`);
  }
  const unwritable = nixNumberProblem(value);
  if (unwritable !== undefined) {
    throw new Error(`${unwritable}${whereOf(path)}`);
  }
  const text = Number.isSafeInteger(value) ? String(value) : nixFloat(value, whereOf(path));
  return value < 0 && asElement ? `(${text})` : text;
}

/**
 * A Nix float literal. Nix's lexer wants a digit and a point before any exponent (`1.0e-7`, not
 * `1e-7`), and its strtod refuses subnormal numbers.
 */
function nixFloat(value: number, where: string): string {
  if (Math.abs(value) < 2.2250738585072014e-308) {
    throw new Error(`${value} is a subnormal number, which Nix cannot read${where}`);
  }
  const text = String(value);
  const [mantissa, exponent] = text.split('e');
  return exponent === undefined || mantissa.includes('.') ? text : `${mantissa}.0e${exponent}`;
}

function nixList(items: readonly unknown[], indent: number, path: ValuePath | undefined): string {
  if (items.length === 0) {
    return '[ ]';
  }
  const elements = items.map((item, i) => serializeNested(item, indent + 2, { parent: path, name: i }, true));
  const inline = `[ ${elements.join(' ')} ]`;
  if (!inline.includes('\n') && inline.length <= INLINE_LIST_WIDTH) {
    return inline;
  }
  const pad = padOf(indent + 2);
  return `[\n${pad}${elements.join(`\n${pad}`)}\n${padOf(indent)}]`;
}

function nixAttrSet(attrs: NixAttrs, indent: number, path: ValuePath | undefined): string {
  const lines = attrLines(attrs, indent + 2, path, padOf(indent + 2));
  if (lines.length === 0) {
    return '{ }';
  }
  return `{\n${lines.join('\n')}\n${padOf(indent)}}`;
}

/**
 * `name = value;` lines. A member whose value is an attribute set with a single member is
 * written as a dotted path (`services.openssh.enable = true;`): each name still occurs once in
 * its set, so the result means the same as the nested form.
 */
function attrLines(attrs: NixAttrs, indent: number, path: ValuePath | undefined, pad: string): string[] {
  const lines: string[] = [];
  for (const key in attrs) {
    const value = attrs[key];
    if (value === undefined || !Object.prototype.hasOwnProperty.call(attrs, key)) {
      continue;
    }
    let name = nixAttrName(key);
    let memberPath: ValuePath = { parent: path, name: key };
    let inner: unknown = value;
    for (let only = soleMember(inner); only !== undefined; only = soleMember(inner)) {
      name = `${name}.${nixAttrName(only)}`;
      memberPath = { parent: memberPath, name: only };
      inner = (inner as Record<string, unknown>)[only];
    }
    lines.push(`${pad}${name} = ${serializeNested(inner, indent, memberPath, false)};`);
  }
  return lines;
}

/** The name of the one defined member of a plain object, or undefined (not a plain object, none, or more). */
function soleMember(value: unknown): string | undefined {
  if (!isPlainObject(value)) {
    return undefined;
  }
  let sole: string | undefined;
  for (const key in value) {
    if (value[key] === undefined || !Object.prototype.hasOwnProperty.call(value, key)) {
      continue;
    }
    if (sole !== undefined) {
      return undefined;
    }
    sole = key;
  }
  return sole;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  // An array's prototype is Array.prototype and a NixExpr's (of any copy of this module) its
  // class's: neither passes, so the prototype alone decides.
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function assertPlainObject(value: unknown, path: ValuePath | undefined): void {
  if (!isPlainObject(value)) {
    const kind = (value as object)?.constructor?.name ?? typeof value;
    throw new Error(`cannot write a ${kind} as Nix${whereOf(path)}: only plain objects become attribute sets`);
  }
}

/** A NixExpr made by another copy of this module (an app loaded beside the CLI's copy). */
function isNixExprLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { constructor?: { name?: string } }).constructor?.name === 'NixExpr' &&
    typeof (value as NixExpr).codeAt === 'function' &&
    typeof (value as NixExpr).isAtomic === 'boolean'
  );
}

/** The Nix string of a member's value; what cannot be written is reported with where it sits. */
function nixStringAt(value: string, path: ValuePath | undefined): string {
  try {
    return nixString(value);
  } catch (e) {
    throw new Error(`${(e as Error).message}${whereOf(path)}`);
  }
}
