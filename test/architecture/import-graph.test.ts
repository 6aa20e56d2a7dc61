/**
 * The layering ARCHITECTURE.md describes, checked on the imports themselves: the model never
 * reaches into a projection or a format library, projections never reach into each other, and no
 * two files import each other at run time (a child may name its parent's *type* in the same folder).
 */
import { describe, expect, it } from 'vitest';
import { FORMAT_PACKAGES, folderOf, ImportEdge, importCycles, importsOf, layerOf, libImports, sourceFiles } from './import-graph';

const edges = libImports();
const local = edges.filter((e) => !e.isPackage);
const shown = (list: readonly ImportEdge[]) => list.map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`);


describe('the import graph of lib/', () => {
  it('is read from real imports: the synthesis imports all three projections, the model imports core', () => {
    // Guards the reader itself: with no edges every rule below would pass.
    expect(local.length).toBeGreaterThan(300);
    const targets = new Set(local.filter((e) => layerOf(e.from) === 'synthesis').map((e) => folderOf(e.to)));
    expect([...targets]).toEqual(expect.arrayContaining(['nix', 'terraform', 'k8s']));
    expect(local).toContainEqual({ from: 'lib/hosts/host.ts', to: 'lib/core/homelab.ts', isPackage: false, typeOnly: false });
    expect(edges.some((e) => e.isPackage && e.to === 'cdktf' && folderOf(e.from) === 'terraform')).toBe(true);
  });

  it('puts every folder of lib/ in one layer', () => {
    expect(() => sourceFiles('lib').forEach(layerOf)).not.toThrow();
  });

  it('has no model file importing a projection or the synthesis', () => {
    const wrong = local.filter((e) => layerOf(e.from) === 'model' && (layerOf(e.to) === 'projection' || layerOf(e.to) === 'synthesis' || layerOf(e.to) === 'entry'));
    expect(shown(wrong)).toEqual([]);
  });

  it('has no model file loading a format library (handlebars, cdktf, cdk8s)', () => {
    // Naming a type is allowed (ClusterChart's build function takes a cdk8s Chart): it loads nothing.
    const wrong = edges.filter((e) => e.isPackage && !e.typeOnly && layerOf(e.from) === 'model' && (FORMAT_PACKAGES as readonly string[]).includes(e.to));
    expect(shown(wrong)).toEqual([]);
  });

  it('has no projection importing another projection, the synthesis or an entry point', () => {
    const wrong = local.filter((e) => layerOf(e.from) === 'projection' && folderOf(e.from) !== folderOf(e.to) && layerOf(e.to) !== 'model');
    expect(shown(wrong)).toEqual([]);
  });

  it('has no circle of run-time imports', () => {
    const cycles = importCycles(local.filter((e) => !e.typeOnly));
    expect(cycles).toEqual([]);
  });

  it('closes every circle with a type-only import inside one folder', () => {
    const acrossFolders = importCycles(local).filter((c) => new Set(c.map(folderOf)).size > 1);
    expect(acrossFolders).toEqual([]);
  });
});

describe('the import graph reader', () => {
  it('tells type-only imports from imports that run', () => {
    const read = (text: string) => importsOf('lib/hosts/host.ts', text).map((e) => [e.to, e.typeOnly]);
    expect(read("import type { Homelab } from '../core/homelab';")).toEqual([['lib/core/homelab.ts', true]]);
    expect(read("import { type Homelab } from '../core/homelab';")).toEqual([['lib/core/homelab.ts', true]]);
    expect(read("import { type Homelab, HOMELAB } from '../core/homelab';")).toEqual([['lib/core/homelab.ts', false]]);
    expect(read("import '../core/homelab';")).toEqual([['lib/core/homelab.ts', false]]);
    expect(read("export * from '../core/homelab';")).toEqual([['lib/core/homelab.ts', false]]);
    expect(read("const k = () => import('../nix/nix-projection');")).toEqual([['lib/nix/nix-projection.ts', false]]);
    expect(read("import { Chart } from 'cdk8s-plus-28/lib/x';")).toEqual([['cdk8s-plus-28', false]]);
  });

  it('finds a circle of three files and leaves a chain alone', () => {
    const edge = (from: string, to: string): ImportEdge => ({ from, to, isPackage: false, typeOnly: false });
    expect(importCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([['a', 'b', 'c']]);
    expect(importCycles([edge('a', 'b'), edge('b', 'c'), edge('a', 'c')])).toEqual([]);
  });
});
