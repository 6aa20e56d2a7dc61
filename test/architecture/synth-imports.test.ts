/**
 * lib/synth runs the checks and the projections and prints reports over the model (the summary,
 * the diagram, the runbook); it lists no construct. What counts: an import that runs (a value
 * import, `export … from`, `import '…'`, `import(…)`, `require(…)`) of any file of a feature area
 * (lib/hosts, storage, network, compute, cluster, operations) is a finding, whatever it imports,
 * because a construct class, its `isX`/`all()` or a helper over its constructs (`memoryBudget`,
 * `ZfsPool.onHost`) is exactly how a switchboard lists constructs. A type-only import
 * (`import type`, or every name marked `type`) is allowed: it is erased at compile time and cannot
 * find a construct. lib/core, the projections (lib/nix, lib/terraform, lib/k8s, lib/runbook) and
 * packages are not feature areas: the reports read the model through the markers of lib/core
 * (host roles, diagram parts, summary parts) and the runbook through its projection's contributors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..', '..');
const FEATURE_AREAS = ['hosts', 'storage', 'network', 'compute', 'cluster', 'operations'];

/** One import of a file: the folder of lib/ it reaches (or the package) and whether it runs. */
interface SynthImport {
  readonly file: string;
  readonly target: string;
  readonly runs: boolean;
}

/** The imports of one source text, read with the TypeScript parser (not a regular expression). */
function importsOf(file: string, text: string): SynthImport[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: SynthImport[] = [];
  const add = (specifier: string, runs: boolean) => {
    const target = specifier.startsWith('.') ? path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier)) : specifier;
    out.push({ file, target, runs });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, !typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, !typeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire) {
        add(node.arguments[0].text, true);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The feature area an import reaches (`compute`), if any. */
function featureAreaOf(target: string): string | undefined {
  const [top, area] = target.split(path.sep);
  return top === 'lib' && FEATURE_AREAS.includes(area) ? area : undefined;
}

/** The imports of lib/synth that run and reach a feature area, as `file -> target`. */
function switchboardImports(imports: readonly SynthImport[]): string[] {
  return imports.filter((i) => i.runs && featureAreaOf(i.target) !== undefined).map((i) => `${i.file} -> ${i.target}`);
}

function synthFiles(): string[] {
  const dir = path.join(root, 'lib', 'synth');
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('lib', 'synth', f));
}

describe('lib/synth', () => {
  const imports = synthFiles().flatMap((file) => importsOf(file, fs.readFileSync(path.join(root, file), 'utf8')));

  it('is read from its real imports: the reports import lib/core, the synthesis the projections', () => {
    // Guards the reader: with no imports read, the rule below would pass.
    expect(imports.length).toBeGreaterThan(40);
    const reached = (file: string) => imports.filter((i) => i.file === path.join('lib', 'synth', file)).map((i) => i.target);
    expect(reached('summary.ts')).toContain(path.join('lib', 'core', 'summary-part'));
    expect(reached('diagram.ts')).toContain(path.join('lib', 'core', 'diagram-part'));
    expect(reached('runbook.ts')).toContain(path.join('lib', 'runbook'));
    expect(reached('projections.ts')).toContain(path.join('lib', 'nix', 'nix-projection'));
  });

  it('imports nothing that runs from a feature area (hosts, storage, network, compute, cluster, operations)', () => {
    expect(switchboardImports(imports)).toEqual([]);
  });
});

describe('the import rule of lib/synth', () => {
  const check = (text: string) => switchboardImports(importsOf(path.join('lib', 'synth', 'x.ts'), text));
  const pool = path.join('lib', 'storage', 'zfs-pool');

  it('finds a value import, a re-export, a side-effect import, import() and require() of a feature area', () => {
    expect(check("import { ZfsPool } from '../storage/zfs-pool';")).toEqual([`${path.join('lib', 'synth', 'x.ts')} -> ${pool}`]);
    expect(check("import { type Host, memoryBudget } from '../compute/proxmox-host';")).toHaveLength(1);
    expect(check("export { ZfsPool } from '../storage/zfs-pool';")).toHaveLength(1);
    expect(check("import '../network/dnsmasq';")).toHaveLength(1);
    expect(check("const m = () => import('../cluster/k3s-cluster');")).toHaveLength(1);
    expect(check("const m = require('../operations/offsite-backup');")).toHaveLength(1);
    expect(check("import Host from '../hosts/host';")).toHaveLength(1);
  });

  it('allows type-only imports and imports of lib/core, the projections and packages', () => {
    expect(check("import type { Host } from '../hosts/host';")).toEqual([]);
    expect(check("import { type Host, type HostProps } from '../hosts/host';")).toEqual([]);
    expect(check("export type { ProxmoxVm } from '../compute/proxmox-vm';")).toEqual([]);
    expect(check("import { hostRolesIn } from '../core/host-role';")).toEqual([]);
    expect(check("import { runbookSteps } from '../runbook';")).toEqual([]);
    expect(check("import { Command } from 'commander';")).toEqual([]);
  });
});
