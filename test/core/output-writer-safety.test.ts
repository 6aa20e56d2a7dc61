/**
 * The writer's promises, each tried as a tester would: all or nothing across an interruption at
 * every step, never through a link, never someone else's file, never outside a folder of its own.
 * (The random SIGKILLs of the real CLI are in test/slow/kill.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, OutputFile, planOutput, recoverOutput, TRANSACTION_FOLDER, ValidationError, writeOutput } from '../../lib/internal';
import { commitOutput } from '../../lib/core/output-writer';
import { runCli } from '../../lib/synth/cli';
import { readTree, tempDir } from '../support/labs';

const files = (entries: Record<string, string>): OutputFile[] => Object.entries(entries).map(([p, content]) => ({ path: p, content }));

const OLD = files({ 'nix/flake.nix': 'old flake', 'nix/hosts/gone/configuration.nix': 'gone', 'nix/hosts/kept/configuration.nix': 'kept', 'k8s/app.yaml': 'old app' });
const NEW = files({ 'nix/flake.nix': 'new flake', 'nix/hosts/kept/configuration.nix': 'kept', 'nix/hosts/new/configuration.nix': 'new', 'k8s/app.yaml': 'new app' });

/** The output folder with a user's own file, after a write of OLD. */
function oldOutput(): { dir: string; before: Record<string, string> } {
  const dir = tempDir();
  writeOutput(dir, OLD);
  fs.writeFileSync(path.join(dir, 'nix', 'flake.lock'), 'the user lock');
  return { dir, before: readTree(dir) };
}

/** What a complete write of NEW into that folder gives. */
function newOutput(): Record<string, string> {
  const { dir } = oldOutput();
  writeOutput(dir, NEW);
  return readTree(dir);
}

/** Every entry under a folder, links shown as links (not followed), files with their content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      const rel = path.relative(dir, p);
      if (entry.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (entry.isDirectory()) walk(p);
      else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const errorsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.report.errors.map((f) => `${f.path}: ${f.message}`);
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('all or nothing across an interruption', () => {
  it('finishes a write that was committed when the process died, and says so', () => {
    const { dir, before } = oldOutput();
    const { txn } = commitOutput(dir, NEW);
    // What a kill right after the commit leaves: the old output, untouched, and the journal.
    expect(txn).toBe(path.join(dir, TRANSACTION_FOLDER));
    const visible = readTree(dir);
    for (const [p, content] of Object.entries(before)) expect(visible[p]).toBe(content);
    expect(recoverOutput(dir)).toEqual({ action: 'finished', pid: process.pid, placed: 3, removed: 1 });
    expect(readTree(dir)).toEqual(newOutput());
    expect(readTree(dir)['nix/flake.lock']).toBe('the user lock');
  });

  it('finishes a write whose renames were half done (a kill in the apply step)', () => {
    const { dir } = oldOutput();
    const { txn } = commitOutput(dir, NEW);
    const journal = JSON.parse(fs.readFileSync(path.join(txn!, 'journal.json'), 'utf8')) as { place: Array<{ staged: string; target: string }> };
    // The first file was put in place, then the process died.
    const first = journal.place[0];
    fs.mkdirSync(path.dirname(path.join(dir, first.target)), { recursive: true });
    fs.renameSync(path.join(txn!, first.staged), path.join(dir, first.target));
    expect(recoverOutput(dir)?.action).toBe('finished');
    expect(readTree(dir)).toEqual(newOutput());
  });

  it('undoes a write that was not committed: the output stays the old one, the staged files go', () => {
    const { dir, before } = oldOutput();
    const { txn } = commitOutput(dir, NEW);
    fs.unlinkSync(path.join(txn!, 'journal.json')); // killed just before the commit
    expect(recoverOutput(dir)?.action).toBe('undone');
    expect(readTree(dir)).toEqual(before);
    expect(fs.existsSync(txn!)).toBe(false);
  });

  it('on a first write, an undo also removes the folders the run created', () => {
    const parent = tempDir();
    const dir = path.join(parent, 'a', 'dist');
    const { txn } = commitOutput(dir, NEW);
    fs.unlinkSync(path.join(txn!, 'journal.json'));
    recoverOutput(dir);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('every homelab command finishes an interrupted write first, and says what it did', async () => {
    const { dir } = oldOutput();
    commitOutput(dir, NEW);
    const err: string[] = [];
    // The app does not exist: the command fails after the recovery, which comes before anything.
    const code = await runCli(['validate', '--app', path.join(dir, 'none.ts'), '--out', dir], { out: () => {}, err: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/finished the write that an earlier run \(pid \d+\) had committed but not completed \(3 file\(s\) put in place, 1 removed\)/);
    expect(readTree(dir)).toEqual(newOutput());
  });

  it('refuses to undo the staging of a run that is still alive', () => {
    const { dir } = oldOutput();
    const { txn } = commitOutput(dir, NEW);
    fs.unlinkSync(path.join(txn!, 'journal.json'));
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.ppid))']); // a pid that is alive: ours
    expect(child.status).toBe(0);
    const owner = JSON.parse(fs.readFileSync(path.join(txn!, 'owner.json'), 'utf8'));
    fs.writeFileSync(path.join(txn!, 'owner.json'), JSON.stringify({ ...owner, pid: process.ppid }));
    expect(errorsOf(() => recoverOutput(dir))).toEqual([
      expect.stringMatching(/\.homelab-txn: another homelab run \(pid \d+\) is writing into this folder right now\. Fix: wait for it to finish/),
    ]);
  });

  it('writes nothing at all when nothing changed (no staging, no manifest rewrite)', () => {
    const { dir } = oldOutput();
    const manifest = path.join(dir, MANIFEST_FILE);
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(manifest, past, past);
    expect(commitOutput(dir, OLD).txn).toBeUndefined();
    expect(fs.statSync(manifest).mtime.getTime()).toBe(past.getTime());
  });
});

describe('a full disk', () => {
  // A real ENOSPC: a 64 KiB tmpfs (CI and this machine run as root).
  const mounts: string[] = [];
  afterEach(() => {
    for (const m of mounts.splice(0)) spawnSync('umount', [m]);
  });
  const smallDisk = (): string | undefined => {
    const dir = tempDir();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    if (r.status !== 0) return undefined;
    mounts.push(dir);
    return dir;
  };
  const big = files({ 'nix/a.nix': 'a'.repeat(30_000), 'nix/b.nix': 'b'.repeat(30_000), 'nix/c.nix': 'c'.repeat(30_000) });

  it.runIf(process.getuid?.() === 0)('leaves the old output as it was, and no staged file', () => {
    const disk = smallDisk()!;
    const dir = path.join(disk, 'dist');
    writeOutput(dir, files({ 'nix/a.nix': 'small' }));
    const before = readTree(dir);
    expect(() => writeOutput(dir, big)).toThrow(/ENOSPC/);
    expect(readTree(dir)).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual([MANIFEST_FILE, 'nix']);
  });

  it.runIf(process.getuid?.() === 0)('on a first write, leaves not even the folders it created', () => {
    const disk = smallDisk()!;
    expect(() => writeOutput(path.join(disk, 'out', 'dist'), big)).toThrow(/ENOSPC/);
    expect(fs.readdirSync(disk)).toEqual([]);
  });
});

describe('never through a link, never outside', () => {
  it('refuses to remove stale files through a symbolic link to a folder elsewhere, and changes nothing', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f', 'nix/hosts/old-host/configuration.nix': 'c', 'nix/hosts/old-host/hardware.nix': 'h' }));
    // The user moved the host's folder elsewhere and left a link.
    const elsewhere = tempDir();
    for (const f of ['configuration.nix', 'hardware.nix', 'keep-1', 'keep-2', 'keep-3']) fs.writeFileSync(path.join(elsewhere, f), f);
    fs.rmSync(path.join(dir, 'nix/hosts/old-host'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(dir, 'nix/hosts/old-host'));
    const before = snapshot(dir);
    expect(errorsOf(() => writeOutput(dir, files({ 'nix/flake.nix': 'f2' })))).toEqual([
      expect.stringMatching(/nix\/hosts\/old-host: is a symbolic link inside the output folder; homelab never writes or removes through a link, on the way to nix\/hosts\/old-host\/configuration\.nix.*Fix: replace the link with a real folder, or remove it\./),
      expect.stringMatching(/old-host: .*on the way to nix\/hosts\/old-host\/hardware\.nix/),
    ]);
    expect(fs.readdirSync(elsewhere).sort()).toEqual(['configuration.nix', 'hardware.nix', 'keep-1', 'keep-2', 'keep-3']);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a stale file that became a symbolic link', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f', 'nix/old.nix': 'o' }));
    const outside = path.join(tempDir(), 'precious');
    fs.writeFileSync(outside, 'precious');
    fs.rmSync(path.join(dir, 'nix/old.nix'));
    fs.symlinkSync(outside, path.join(dir, 'nix/old.nix'));
    expect(errorsOf(() => writeOutput(dir, files({ 'nix/flake.nix': 'f' })))[0]).toMatch(/nix\/old\.nix: was written by an earlier run and is now a symbolic link/);
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
  });

  it('refuses a target that is a symbolic link', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f' }));
    const outside = path.join(tempDir(), 'precious');
    fs.writeFileSync(outside, 'precious');
    fs.rmSync(path.join(dir, 'nix/flake.nix'));
    fs.symlinkSync(outside, path.join(dir, 'nix/flake.nix'));
    expect(errorsOf(() => writeOutput(dir, files({ 'nix/flake.nix': 'f2' })))[0]).toMatch(/flake\.nix: is a symbolic link where homelab writes a file/);
    expect(fs.readFileSync(outside, 'utf8')).toBe('precious');
  });

  it('follows a link above the output folder (the user chose that path) but none below it', () => {
    const real = tempDir();
    const link = path.join(tempDir(), 'dist-link');
    fs.symlinkSync(real, link);
    writeOutput(link, files({ 'nix/flake.nix': 'f' }));
    expect(readTree(real)['nix/flake.nix']).toBe('f');
  });
});

describe("never someone else's file", () => {
  it('refuses to overwrite a file at a generated path that the manifest does not list, naming it', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f' }));
    fs.mkdirSync(path.join(dir, 'nix/hosts/new-host'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'nix/hosts/new-host/configuration.nix'), 'hand-written');
    expect(errorsOf(() => writeOutput(dir, files({ 'nix/flake.nix': 'f', 'nix/hosts/new-host/configuration.nix': 'generated' })))).toEqual([
      expect.stringMatching(/nix\/hosts\/new-host\/configuration\.nix: is a file that homelab did not write \(the manifest does not list it\).*Fix: move your file away, or run with --adopt/),
    ]);
    expect(fs.readFileSync(path.join(dir, 'nix/hosts/new-host/configuration.nix'), 'utf8')).toBe('hand-written');
  });

  it('adopts it when asked, and lists it from then on', () => {
    const dir = tempDir();
    writeOutput(dir, files({ 'nix/flake.nix': 'f' }));
    fs.writeFileSync(path.join(dir, 'nix/extra.nix'), 'hand-written');
    const plan = writeOutput(dir, files({ 'nix/flake.nix': 'f', 'nix/extra.nix': 'generated' }), { adopt: true });
    expect(plan.changed).toEqual(['nix/extra.nix']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')).files).toContain('nix/extra.nix');
  });

  it('refuses a non-empty folder without a manifest that holds anything else', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(errorsOf(() => planOutput(dir, files({ 'nix/flake.nix': 'f' })))).toEqual([
      expect.stringMatching(/is not empty and has no \.homelab-manifest\.json, so homelab did not write it: it holds notes\.txt\. Fix: give an empty or new folder for the output, e\.g\. --out dist\./),
    ]);
  });

  it("refuses the file system's root, a mount point and the user's home, reading nothing there", () => {
    expect(errorsOf(() => planOutput('/', NEW))[0]).toMatch(/^\/: the output folder is the file system's root\. Fix: write into a folder of its own, e\.g\. --out dist\./);
    expect(errorsOf(() => planOutput('/proc', NEW))[0]).toMatch(/a file system's root \(a mount point\)/);
    const home = tempDir();
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      expect(errorsOf(() => planOutput(home, NEW))[0]).toMatch(/the output folder is your home folder/);
      expect(errorsOf(() => planOutput(path.dirname(home), NEW))[0]).toMatch(/the output folder holds your home folder/);
    } finally {
      process.env.HOME = saved;
    }
  });

  it("refuses the project's root (--out .) and leaves the project's own nix/flake.nix alone", async () => {
    const project = tempDir();
    fs.writeFileSync(path.join(project, 'package.json'), '{}');
    fs.mkdirSync(path.join(project, 'nix'));
    fs.writeFileSync(path.join(project, 'nix/flake.nix'), 'my own flake');
    const cwd = process.cwd();
    process.chdir(project);
    try {
      expect(errorsOf(() => planOutput('.', NEW))[0]).toMatch(/the output folder is the project's root \(it holds package\.json or \.git\)/);
      expect(errorsOf(() => planOutput('..', NEW))[0]).toMatch(/the output folder holds the project's root/);
      expect(planOutput('dist', NEW).added).toHaveLength(4);
    } finally {
      process.chdir(cwd);
    }
    expect(fs.readFileSync(path.join(project, 'nix/flake.nix'), 'utf8')).toBe('my own flake');
    expect(os.homedir()).not.toBe(project);
  });
});
