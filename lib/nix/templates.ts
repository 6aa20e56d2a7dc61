/**
 * The one Handlebars environment of the Nix projection. Templates live in `templates/` at the
 * package root (`*.nix.hbs`, `*.sh.hbs`).
 *
 * Values enter a template only through helpers that serialize them for the target language:
 * `nix` / `nixBody` (through {@link toNix}), `sh` / `shWords` (single-quoted shell words) and
 * `comment`. A plain `{{name}}` would paste a raw string, so a template that has one is refused:
 * the guard walks each template's syntax tree.
 *
 * The templates are precompiled ahead of time (tools/precompile-templates.ts writes
 * templates.generated.ts; a test keeps it current), so a process needs only Handlebars's runtime
 * and none of its parser and compiler: compiling the 15 templates took 100–180 ms of every fresh
 * process (issue 17), building them from their precompiled form 1–5 ms. A precompiled template
 * is used only while its source's SHA-256 matches the file in `templates/`; an edited template is
 * checked and compiled from its source, as before, so the precompiled copy can be late but never
 * wrong.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as HandlebarsCompiler from 'handlebars';
import Handlebars from 'handlebars/runtime';
import { NixAttrs, NixValue, toNix, toNixAttrsBody } from './nix-value';
import { PRECOMPILED_TEMPLATES } from './templates.generated';

/** The helpers through which values may enter a template. */
const VALUE_HELPERS = new Set(['nix', 'nixBody', 'sh', 'shWords', 'comment']);

type HelperOptions = Handlebars.HelperOptions;

/**
 * Handlebars's template specification (what `precompile` makes), as its runtime takes it; named
 * through the runtime's module so that the published declarations need no global type.
 */
export type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

/** How every template is compiled, ahead of time and from its source alike. */
const TEMPLATE_COMPILE_OPTIONS: CompileOptions = { strict: true, noEscape: true, preventIndent: true };

/** A template compiled ahead of time: its source's digest and Handlebars's template specification. */
export interface PrecompiledTemplate {
  /** SHA-256 (hex) of the template's source when it was precompiled. */
  readonly sha256: string;
  /** What `Handlebars.precompile` made of it, as an object. */
  readonly spec: TemplateSpecification;
}

function createEnvironment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('nix', (value: NixValue, options: HelperOptions) => {
    requireArgument('nix', value, options);
    return toNix(value, { indent: indentOf(options) });
  });
  hb.registerHelper('nixBody', (value: NixAttrs, options: HelperOptions) => {
    requireArgument('nixBody', value, options);
    return toNixAttrsBody(value, { indent: indentOf(options) });
  });
  hb.registerHelper('sh', (value: string | number, options: HelperOptions) => {
    requireArgument('sh', value, options);
    return shellQuote(value);
  });
  hb.registerHelper('shWords', (values: Array<string | number>, options: HelperOptions) => {
    requireArgument('shWords', values, options);
    if (!Array.isArray(values)) {
      throw new Error('template helper shWords needs a list');
    }
    return values.map(shellQuote).join(' ');
  });
  hb.registerHelper('comment', (text: string, options: HelperOptions) => {
    requireArgument('comment', text, options);
    return commentLines(String(text), indentOf(options));
  });
  return hb;
}

let environment: typeof Handlebars | undefined;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

/**
 * Renders `templates/<name>` with `context`. Throws when the template is missing, when it
 * interpolates a raw value, or when it reads a field the context does not have.
 */
export function renderTemplate(name: string, context: object): string {
  return templateFor(name)(context, { allowProtoPropertiesByDefault: false });
}

/** The template, from its precompiled form while that is current, else checked and compiled from its source. */
function templateFor(name: string): Handlebars.TemplateDelegate {
  const cached = compiled.get(name);
  if (cached) {
    return cached;
  }
  environment ??= createEnvironment();
  const file = path.join(templatesDirectory(), name);
  if (!fs.existsSync(file)) {
    throw new Error(`template ${name} does not exist in ${templatesDirectory()}`);
  }
  const source = fs.readFileSync(file, 'utf8');
  const template = environment.template(templateSpecification(name, source, (PRECOMPILED_TEMPLATES as Readonly<Record<string, PrecompiledTemplate>>)[name]));
  compiled.set(name, template);
  return template;
}

/**
 * What a template runs: its precompiled form when that was made from exactly `source`, else
 * `source` checked and compiled.
 */
export function templateSpecification(name: string, source: string, precompiled: PrecompiledTemplate | undefined): TemplateSpecification {
  return precompiled?.sha256 === templateDigest(source) ? precompiled.spec : compileTemplate(name, source);
}

/** SHA-256 (hex) of a template's source: whether its precompiled form is current. */
export function templateDigest(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

/**
 * Checks a template (see {@link assertNoRawInterpolation}) and compiles it with the full
 * Handlebars, loaded only here: what the precompiler does ahead of time, and what a process does
 * for a template edited since.
 */
export function precompileTemplate(name: string, source: string): string {
  const ast = compiler().parse(source);
  assertNoRawInterpolationIn(name, ast);
  return compiler().precompile(ast, TEMPLATE_COMPILE_OPTIONS) as string;
}

function compileTemplate(name: string, source: string): TemplateSpecification {
  // The precompiler's output is the source of a JavaScript object literal; Handlebars's own
  // `compile` turns its generated code into functions the same way.
  return new Function(`return ${precompileTemplate(name, source)};`)() as TemplateSpecification;
}

/** The full Handlebars (parser and compiler), for templates that are not precompiled. */
function compiler(): typeof HandlebarsCompiler {
  return require('handlebars') as typeof HandlebarsCompiler;
}

/**
 * Throws when a template has a mustache that is not a call of one of the value helpers with an
 * argument: `{{name}}`, `{{{name}}}` or `{{nix}}` would print a raw or missing value.
 */
export function assertNoRawInterpolation(name: string, source: string): void {
  assertNoRawInterpolationIn(name, compiler().parse(source));
}

function assertNoRawInterpolationIn(name: string, ast: hbs.AST.Program): void {
  const problems: string[] = [];
  const visit = (node: hbs.AST.Node): void => {
    if (node.type === 'MustacheStatement') {
      const m = node as hbs.AST.MustacheStatement;
      const helper = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
      if (!VALUE_HELPERS.has(helper) || m.params.length !== 1) {
        problems.push(`line ${m.loc.start.line}: {{${helper || '…'}}} must be a value helper call such as {{nix value}}`);
      }
    }
    for (const key of ['program', 'inverse'] as const) {
      const block = (node as unknown as Record<string, hbs.AST.Program | undefined>)[key];
      block?.body.forEach(visit);
    }
    if (node.type === 'Program') {
      (node as hbs.AST.Program).body.forEach(visit);
    }
  };
  visit(ast);
  if (problems.length > 0) {
    throw new Error(`template ${name} interpolates raw values:\n  ${problems.join('\n  ')}`);
  }
}

/** A shell word that means exactly `value` to bash: single-quoted, `'` written as `'\''`. */
export function shellQuote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) {
    throw new Error('a shell word cannot contain a NUL character');
  }
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `# `-prefixed comment lines; control characters are dropped so a comment stays a comment. */
function commentLines(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line, i) => `${i === 0 ? '' : pad}# ${line.replace(/[\u0000-\u001f\u007f]/g, '')}`.trimEnd())
    .join('\n');
}

function indentOf(options: HelperOptions): number {
  const indent = options.hash?.indent ?? 0;
  if (!Number.isInteger(indent) || indent < 0) {
    throw new Error(`indent=${indent} is not a column count`);
  }
  return indent;
}

function requireArgument(helper: string, value: unknown, options: HelperOptions): void {
  if (value === undefined || value === null) {
    const loc = (options as HelperOptions & { loc?: { start: { line: number } } }).loc;
    const where = loc ? ` (line ${loc.start.line})` : '';
    throw new Error(`template helper ${helper} got ${value}${where}: the view is missing a value`);
  }
}

let templatesDir: string | undefined;

/** The package's `templates/` folder, found from this file in the sources or in `build/`. */
export function templatesDirectory(): string {
  if (templatesDir) {
    return templatesDir;
  }
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'templates');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) {
      templatesDir = candidate;
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the templates/ folder of homelab-cdk above ${__dirname}`);
    }
    dir = parent;
  }
}
