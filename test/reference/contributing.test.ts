/**
 * CONTRIBUTING.md states facts a reader acts on: the files to touch, the renderer folders, the
 * seams' names, the worked example. They are checked here, so the guide stays true when the
 * code moves.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as lib from '../../lib/internal';
import { FlakeMonitoring } from '../../lib/nix/flake-monitoring';
import { NIX_RENDERERS } from '../../lib/nix/renderers';
import { RUNBOOK_CONTRIBUTORS } from '../../lib/runbook';

const root = path.join(__dirname, '..', '..');
const guide = fs.readFileSync(path.join(root, 'CONTRIBUTING.md'), 'utf8');
const renderersDir = path.join(root, 'lib', 'nix', 'renderers');

/** The `code` spans of the guide from `start` to the first `end` after it. */
function spansBetween(start: string, end: string): string[] {
  const at = guide.indexOf(start);
  expect(at, `CONTRIBUTING.md has "${start}"`).toBeGreaterThanOrEqual(0);
  const text = guide.slice(at, guide.indexOf(end, at));
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

describe('CONTRIBUTING.md', () => {
  it('names files and folders that exist', () => {
    const paths = [...guide.matchAll(/`((?:lib|test|tools|templates)\/[^`<\s]*)`/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(5);
    for (const p of paths) {
      expect(fs.existsSync(path.join(root, p)), p).toBe(true);
    }
  });

  it('lists the model areas of lib/', () => {
    const areas = spansBetween('(areas:', ')');
    expect(areas).toEqual(['core', 'hosts', 'network', 'cluster', 'compute', 'storage', 'operations']);
    for (const area of areas) {
      expect(fs.statSync(path.join(root, 'lib', area)).isDirectory(), area).toBe(true);
    }
  });

  it('names RUNBOOK_CONTRIBUTORS, one contributor a model area, each in lib/runbook/<area>.ts', async () => {
    expect(spansBetween('A construct with a step in the first', '.md')).toEqual(expect.arrayContaining(['lib/runbook/', 'RUNBOOK_CONTRIBUTORS', 'lib/runbook/index.ts']));
    const runbookDir = path.join(root, 'lib', 'runbook');
    // index.ts holds the list, runbook-step.ts the vocabulary, hosts.ts the install step the areas add to.
    const areaFiles = fs.readdirSync(runbookDir).filter((f) => f.endsWith('.ts') && !['index.ts', 'runbook-step.ts', 'hosts.ts'].includes(f));
    const listed: unknown[] = [];
    for (const file of areaFiles.sort()) {
      expect(fs.existsSync(path.join(root, 'lib', file.replace(/\.ts$/, ''))), `lib/runbook/${file} is named after a model area`).toBe(true);
      listed.push(...Object.values(await import(path.join(runbookDir, file))).filter((v) => RUNBOOK_CONTRIBUTORS.includes(v as never)));
    }
    expect(listed).toHaveLength(RUNBOOK_CONTRIBUTORS.length);
    expect(areaFiles).toHaveLength(RUNBOOK_CONTRIBUTORS.length);
  });

  it('lists exactly the renderer folders, and every renderer of NIX_RENDERERS lives in one of them', async () => {
    const folders = spansBetween('The renderer folders are', '. ').filter((s) => s !== 'templates/');
    const actual = fs
      .readdirSync(renderersDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${e.name}/`);
    expect([...folders].sort()).toEqual([...actual].sort());
    const exported = new Set<unknown>();
    for (const folder of actual) {
      for (const file of fs.readdirSync(path.join(renderersDir, folder)).filter((f) => f.endsWith('.ts'))) {
        Object.values(await import(path.join(renderersDir, folder, file))).forEach((v) => exported.add(v));
      }
    }
    for (const renderer of NIX_RENDERERS) {
      expect(exported.has(renderer), renderer.name).toBe(true);
    }
    // No renderer is left at the top of lib/nix/renderers beside the list itself.
    expect(fs.readdirSync(renderersDir).filter((f) => f.endsWith('.ts'))).toEqual(['index.ts']);
  });

  it('names one module skeleton, and no other template is a module of settings only', () => {
    const templates = path.join(root, 'templates');
    const skeleton = fs.readFileSync(path.join(templates, 'module.nix.hbs'), 'utf8');
    expect(skeleton).toContain('{{nixBody settings indent=2}}');
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const others = walk(templates).filter((f) => f.endsWith('.nix.hbs') && !f.endsWith(`${path.sep}module.nix.hbs`) && !f.endsWith(`${path.sep}flake.nix.hbs`));
    for (const file of others) {
      expect(fs.readFileSync(file, 'utf8'), file).not.toContain('{{nixBody settings');
    }
  });

  it('names seams the library has', () => {
    for (const method of ['watchUnit', 'addAlertRules', 'addExporterSettings', 'addDashboardPanels']) {
      expect(guide).toContain(`flake.monitoring.${method}`);
      expect(typeof (FlakeMonitoring.prototype as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
    for (const name of ['markHostRoleHolder', 'isHostRoleHolder', 'markDiagramPartHolder', 'isDiagramPartHolder', 'renderSettingsModule', 'renderNixFlake']) {
      expect(typeof (lib as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(guide).toContain('IHostRoleHolder');
    expect(guide).toContain('IDiagramPartHolder');
    expect(guide).toContain('extraRenderers');
  });

  it('quotes the worked example verbatim from the fixture and its test', () => {
    const sources = ['test/core/fixtures/nfs-export.ts', 'test/core/adding-a-construct.test.ts'].map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThan(3);
    for (const block of blocks) {
      expect(
        sources.some((s) => s.includes(block)),
        block,
      ).toBe(true);
    }
  });
});
