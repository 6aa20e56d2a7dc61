/**
 * Checks the `module` blocks that call nix-community/nixos-anywhere's Terraform modules against
 * the module facts (test/terraform/fixtures/nixos-anywhere-modules.json, a copy of
 * ../shared/terraform/nixos-anywhere-modules.json: the variables of `terraform/all-in-one`,
 * `install` and `nix-build` at release 1.13.0, read from their variables.tf): the source names
 * a module of the facts and pins their tag, every argument is a variable of the module or a
 * meta-argument, every required variable is set, literal values have the variable's type.
 * Returns the problems as `<json path>: <message>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ModuleVariable {
  readonly type: string;
  readonly required: boolean;
}

/** The module facts. */
export const MODULE_FACTS = JSON.parse(fs.readFileSync(path.join(__dirname, '../terraform/fixtures/nixos-anywhere-modules.json'), 'utf8'));

/** The meta-arguments of a module block (Terraform's, as the facts list them). */
const META = new Set<string>([...MODULE_FACTS.meta_arguments, '//']);

/** `github.com/nix-community/nixos-anywhere//<module>?ref=<tag>` and the git:: / https:// forms. */
const SOURCE = /^(?:git::)?(?:https:\/\/)?github\.com\/nix-community\/nixos-anywhere(?:\.git)?\/\/(terraform\/[A-Za-z0-9_-]+)(?:\?ref=([^&]+))?$/;

/** Problems of the nixos-anywhere module blocks of a Terraform JSON document. */
export function nixosAnywhereModuleProblems(doc: any): string[] {
  const problems: string[] = [];
  for (const [name, body] of Object.entries<any>(doc.module ?? {})) {
    const at = `module.${name}`;
    const source = SOURCE.exec(String(body.source ?? ''));
    if (!source) {
      continue;
    }
    const facts = MODULE_FACTS.modules[source[1]];
    if (!facts) {
      problems.push(`${at}.source: ${source[1]} is not a module of the facts (${Object.keys(MODULE_FACTS.modules).join(', ')})`);
      continue;
    }
    if (source[2] !== MODULE_FACTS.x_source.tag) {
      problems.push(`${at}.source: pins ${source[2] ?? 'no ref'}, but the facts describe tag ${MODULE_FACTS.x_source.tag}`);
    }
    if ('version' in body) {
      problems.push(`${at}.version: applies only to registry modules`);
    }
    const variables: Record<string, ModuleVariable> = facts.variables;
    for (const [key, value] of Object.entries<unknown>(body)) {
      if (META.has(key)) {
        continue;
      }
      const variable = variables[key];
      if (!variable) {
        problems.push(`${at}.${key}: not a variable of ${source[1]}`);
      } else if (!hasType(value, variable.type)) {
        problems.push(`${at}.${key}: ${JSON.stringify(value)} is not a ${variable.type}`);
      }
    }
    for (const [key, variable] of Object.entries(variables)) {
      if (variable.required && !(key in body)) {
        problems.push(`${at}.${key}: the required variable is missing`);
      }
    }
  }
  return problems;
}

/** Does a JSON value have a Terraform type? A string holding a `${…}` expression may be anything. */
function hasType(value: unknown, type: string): boolean {
  if (typeof value === 'string' && /^\$\{[^]*\}$/.test(value) && !/\}[^]*\$\{/.test(value)) {
    return true;
  }
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'map(string)':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
    case 'set(string)':
    case 'list(string)':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'any':
      return true;
    default:
      return typeof value === 'object' && value !== null;
  }
}
