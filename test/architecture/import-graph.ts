/**
 * The import graph of lib/, read with the TypeScript compiler's parser (no type checking, so it
 * is quick): one edge per relative import, re-export, dynamic `import()` or literal `require()`, marked type-only when
 * nothing of it survives compilation (`import type`, or every named binding `type`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** One import of one file of lib/ by another, or of a package. */
export interface ImportEdge {
  /** The importing file, relative to the project root (`lib/hosts/host.ts`). */
  readonly from: string;
  /** The imported file relative to the project root, or the package name (`cdktf`). */
  readonly to: string;
  /** True when `to` is a package, not a file of lib/. */
  readonly isPackage: boolean;
  /** True when the import is erased by the compiler. */
  readonly typeOnly: boolean;
}

export const ROOT = path.resolve(__dirname, '../..');

/** Every .ts file under `dir`, relative to the project root, sorted. */
export function sourceFiles(dir = 'lib'): string[] {
  const walk = (d: string): string[] =>
    fs.readdirSync(path.join(ROOT, d), { withFileTypes: true }).flatMap((e) => {
      const rel = `${d}/${e.name}`;
      return e.isDirectory() ? walk(rel) : e.name.endsWith('.ts') ? [rel] : [];
    });
  return walk(dir).sort();
}

function isTypeOnly(s: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(s)) {
    return s.isTypeOnly || (s.exportClause !== undefined && ts.isNamedExports(s.exportClause) && s.exportClause.elements.length > 0 && s.exportClause.elements.every((e) => e.isTypeOnly));
  }
  const clause = s.importClause;
  if (clause === undefined) {
    return false; // `import './x'` runs x.
  }
  if (clause.isTypeOnly) {
    return true;
  }
  const named = clause.namedBindings;
  return clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

function resolve(from: string, specifier: string): string {
  const base = path.posix.join(path.posix.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    if (fs.existsSync(path.join(ROOT, candidate)) && fs.statSync(path.join(ROOT, candidate)).isFile()) {
      return candidate;
    }
  }
  throw new Error(`${from}: cannot resolve the import "${specifier}"`);
}

/** The package a bare specifier names (`cdk8s-plus-28`, `@types/x`, `node:fs` → `node:fs`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The imports of one file. */
export function importsOf(file: string, text = fs.readFileSync(path.join(ROOT, file), 'utf8')): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const isPackage = !specifier.startsWith('.');
    edges.push({ from: file, to: isPackage ? packageName(specifier) : resolve(file, specifier), isPackage, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, isTypeOnly(node));
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      // A literal require() is an import that runs later (the lazy projections): still an edge.
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The import graph of every file under lib/. */
export function libImports(): ImportEdge[] {
  return sourceFiles('lib').flatMap((f) => importsOf(f));
}

/**
 * The strongly connected components of more than one file (Tarjan's algorithm): each is a set
 * of files that import one another in a circle. Sorted, so that a failure reads the same each run.
 */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!e.isPackage) {
      next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    }
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) {
        components.push(component.sort());
      }
    }
  };
  for (const v of [...new Set(edges.flatMap((e) => (e.isPackage ? [e.from] : [e.from, e.to])))].sort()) {
    if (!index.has(v)) {
      connect(v);
    }
  }
  return components.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The layers of lib/: each folder belongs to exactly one (ARCHITECTURE.md names the same). */
export const LAYERS = {
  /** What the lab is: constructs, value types, their checks. */
  model: ['core', 'hosts', 'network', 'storage', 'compute', 'cluster', 'operations'],
  /** How one format is written from the model. */
  projection: ['nix', 'terraform', 'k8s'],
  /**
   * Runs the checks and the projections, writes dist/, the CLI; and the runbook, a report over
   * the model and the outputs' names (it reads lib/nix's sops uses), which lib/synth prints.
   */
  synthesis: ['synth', 'runbook'],
} as const;

/** The format libraries: only projections load them. */
export const FORMAT_PACKAGES = ['handlebars', 'cdktf', 'cdk8s', 'cdk8s-plus-28'] as const;

/** The layer of a file of lib/ (`entry` for lib/index.ts and the other entry points beside it). */
export function layerOf(file: string): keyof typeof LAYERS | 'entry' {
  const parts = file.split('/');
  if (parts.length === 2) {
    return 'entry';
  }
  for (const [layer, folders] of Object.entries(LAYERS) as [keyof typeof LAYERS, readonly string[]][]) {
    if (folders.includes(parts[1])) {
      return layer;
    }
  }
  throw new Error(`${file}: the folder lib/${parts[1]} belongs to no layer; add it to LAYERS (test/architecture/import-graph.ts) and ARCHITECTURE.md`);
}

/** The folder of a file of lib/ (`lib/hosts/host.ts` → `hosts`). */
export function folderOf(file: string): string {
  return file.split('/')[1];
}
