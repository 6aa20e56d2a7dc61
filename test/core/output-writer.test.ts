import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_FILE, OutputFile, planOutput, TRANSACTION_FOLDER, writeOutput } from '../../lib/internal';
import { readTree, tempDir } from '../support/labs';

const files = (entries: Record<string, string>): OutputFile[] => Object.entries(entries).map(([p, content]) => ({ path: p, content }));

describe('writeOutput', () => {
  it('writes files and a manifest of what it wrote', () => {
    const dir = tempDir();
    const plan = writeOutput(dir, files({ 'nix/flake.nix': '{ }\n', 'nix/hosts/a/configuration.nix': '{ }\n' }));
    expect(plan.added).toEqual(['nix/flake.nix', 'nix/hosts/a/configuration.nix']);
    expect(readTree(dir)['nix/flake.nix']).toBe('{ }\n');
    expect(JSON.parse(readTree(dir)[MANIFEST_FILE]).files).toEqual(['nix/flake.nix', 'nix/hosts/a/configuration.nix']);
  });

  it('does not rewrite files whose content did not change', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/a.nix': 'a', 'nix/b.nix': 'b' }));
    const target = path.join(dir, 'nix/a.nix');
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(target, past, past);
    const plan = writeOutput(dir, files({ 'nix/a.nix': 'a', 'nix/b.nix': 'b2' }));
    expect(plan).toMatchObject({ added: [], changed: ['nix/b.nix'], unchanged: ['nix/a.nix'], removed: [] });
    expect(fs.statSync(target).mtime.getTime()).toBe(past.getTime());
  });

  it('removes files an earlier run wrote, and the folders they leave empty, but never files it did not write', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/hosts/old/configuration.nix': 'old', 'nix/flake.nix': 'f' }));
    fs.writeFileSync(path.join(dir, 'nix', 'NOTES.md'), 'mine');
    const plan = writeOutput(dir, files({ 'nix/flake.nix': 'f' }));
    expect(plan.removed).toEqual(['nix/hosts/old/configuration.nix']);
    expect(fs.existsSync(path.join(dir, 'nix/hosts'))).toBe(false);
    expect(readTree(dir)['nix/NOTES.md']).toBe('mine');
  });

  it('keeps the files of projections that did not run', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f', 'k8s/app.k8s.yaml': 'y' }));
    writeOutput(dir, files({ 'nix/flake.nix': 'f2' }), { roots: ['nix'] });
    expect(readTree(dir)['k8s/app.k8s.yaml']).toBe('y');
    expect(JSON.parse(readTree(dir)[MANIFEST_FILE]).files).toEqual(['k8s/app.k8s.yaml', 'nix/flake.nix']);
  });

  it('refuses a folder where a file goes, before writing anything', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/a.nix': 'a1' }));
    fs.mkdirSync(path.join(dir, 'nix/z.nix'));
    const before = readTree(dir);
    expect(() => writeOutput(dir, files({ 'nix/a.nix': 'a2', 'nix/new/b.nix': 'b', 'nix/z.nix': 'z2' }))).toThrow(/nix\/z\.nix: is a folder where homelab writes a file\. Fix: move it away/);
    expect(readTree(dir)).toEqual(before);
    expect(fs.existsSync(path.join(dir, 'nix/new'))).toBe(false);
    expect(fs.existsSync(path.join(dir, TRANSACTION_FOLDER))).toBe(false);
  });

  it('refuses paths that leave the output folder', () => {
    const dir = tempDir();
    for (const bad of ['../escape.nix', '/etc/passwd', 'nix/../../x', 'nix/./a', 'nix//a', MANIFEST_FILE]) {
      expect(() => writeOutput(dir, files({ [bad]: 'x' })), bad).toThrow(/refusing to write/);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses to write through a symbolic link inside the output folder', () => {
    const dir = tempDir();
    const elsewhere = tempDir();
    fs.symlinkSync(elsewhere, path.join(dir, 'nix'));
    expect(() => writeOutput(dir, files({ 'nix/a.nix': 'a' }))).toThrow(/symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('marks scripts executable', () => {
    const dir = tempDir();
    writeOutput(dir, [{ path: 'nix/scripts/x.sh', content: '#!/bin/sh\n', executable: true }]);
    expect(fs.statSync(path.join(dir, 'nix/scripts/x.sh')).mode & 0o777).toBe(0o755);
  });

  it('gives files their modes even under a umask that narrows them', () => {
    const dir = tempDir();
    const before = process.umask(0o077);
    try {
      writeOutput(dir, [
        { path: 'nix/a.nix', content: 'a' },
        { path: 'nix/b.nix', content: 'b' },
        { path: 'nix/scripts/x.sh', content: '#!/bin/sh\n', executable: true },
        { path: 'nix/scripts/y.sh', content: '#!/bin/sh\n', executable: true },
      ]);
    } finally {
      process.umask(before);
    }
    const mode = (p: string) => fs.statSync(path.join(dir, p)).mode & 0o777;
    expect(['nix/a.nix', 'nix/b.nix', 'nix/scripts/x.sh', 'nix/scripts/y.sh'].map(mode)).toEqual([0o644, 0o644, 0o755, 0o755]);
  });

  it('sees a change of content that keeps the size, and a change of the executable bit alone', () => {
    const dir = tempDir();
    writeOutput(dir, [
      { path: 'nix/a.nix', content: 'aaaa' },
      { path: 'nix/x.sh', content: 'x' },
    ]);
    fs.writeFileSync(path.join(dir, 'nix/a.nix'), 'abcd'); // edited by hand, same size
    const plan = writeOutput(dir, [
      { path: 'nix/a.nix', content: 'aaaa' },
      { path: 'nix/x.sh', content: 'x', executable: true },
    ]);
    expect(plan).toMatchObject({ changed: ['nix/a.nix', 'nix/x.sh'], unchanged: [] });
    expect(readTree(dir)['nix/a.nix']).toBe('aaaa');
    expect(fs.statSync(path.join(dir, 'nix/x.sh')).mode & 0o777).toBe(0o755);
  });

  it('plans without writing', () => {
    const dir = tempDir();
    const plan = planOutput(dir, files({ 'nix/a.nix': 'a' }));
    expect(plan.added).toEqual(['nix/a.nix']);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
