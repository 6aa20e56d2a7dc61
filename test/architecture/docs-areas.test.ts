/**
 * The API reference is grouped by area (tools/typedoc/areas.mjs, a TypeDoc plugin): every folder
 * of lib/ has an area, typedoc.json orders them all, and the generated bindings stand apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the TypeDoc configuration, without declarations.
import { AREAS, areaOf, GENERATED_BINDINGS } from '../../tools/typedoc/areas.mjs';
import { ROOT, sourceFiles } from './import-graph';

const typedoc = JSON.parse(fs.readFileSync(path.join(ROOT, 'typedoc.json'), 'utf8'));

describe('the API reference areas', () => {
  it('give every folder of lib/ an area', () => {
    const folders = [...new Set(sourceFiles('lib').filter((f) => f.split('/').length > 2).map((f) => f.split('/')[1]))].sort();
    expect(folders.filter((f) => !(f in AREAS))).toEqual([]);
  });

  it('read the area from the source folder, with the generated bindings apart', () => {
    expect(areaOf('lib/storage/zfs-pool.ts')).toBe('Storage');
    expect(areaOf('lib/terraform/terraform-projection.ts')).toBe('Terraform projection');
    expect(areaOf('lib/terraform/proxmox/virtual-environment-vm.generated.ts')).toBe(GENERATED_BINDINGS);
    expect(areaOf('node_modules/constructs/lib/construct.d.ts')).toBeUndefined();
    expect(() => areaOf('lib/nowhere/x.ts')).toThrow(/AREAS/);
  });

  it('are all ordered in typedoc.json, which loads the plugin and documents the three entry points', () => {
    expect(typedoc.plugin).toContain('./tools/typedoc/areas.mjs');
    expect(typedoc.categoryOrder).toEqual(expect.arrayContaining([...Object.values(AREAS), GENERATED_BINDINGS]));
    expect(typedoc.entryPoints).toEqual(['lib/index.ts', 'lib/terraform.ts', 'lib/kubernetes.ts']);
    expect(fs.existsSync(path.join(ROOT, typedoc.readme))).toBe(true);
  });
});
