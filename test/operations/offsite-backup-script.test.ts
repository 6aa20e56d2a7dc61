import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupSource, OffsiteBackup, renderNixFlake, Secret } from '../../lib/internal';
import { materialize, readTree, tempDir } from '../support/labs';
import { evalModule, nixFilesUnder, parseNixFiles } from '../support/nix';
import { opsLab, sftpRemote } from './support';

/** A lab whose NAS backs up a dataset and a directory; its flake, rendered into a folder. */
function backupFlake() {
  const ops = opsLab();
  const data = ops.tank.addDataset('data');
  const backup = new OffsiteBackup(ops.nas, 'offsite', {
    remote: sftpRemote(),
    sources: [BackupSource.dataset(data), BackupSource.directory('/srv/www')],
  });
  return { ...ops, data, backup, dir: materialize(renderNixFlake(ops.lab)) };
}

let flake: ReturnType<typeof backupFlake>;
let script: string;

beforeAll(() => {
  flake = backupFlake();
  script = path.join(flake.dir, 'scripts/offsite-backup.sh');
});

describe('the off-site backup in the flake', () => {
  it('parses, and declares the backup with its schedules on its host', () => {
    expect(parseNixFiles(nixFilesUnder(flake.dir))).toEqual([]);
    const module = evalModule(path.join(flake.dir, 'hosts/nas/offsite-backup.nix'));
    expect(module.homelab.offsiteBackups.offsite).toEqual({ schedule: 'daily', restoreTestSchedule: 'weekly', zfs: true });
    expect(module.environment.etc['homelab/offsite-backup/offsite.known_hosts'].text).toBe(`[backup.example.org]:23 ${flake.backup.remote.hostKey}\n`);
    const configuration = evalModule(path.join(flake.dir, 'hosts/nas/configuration.nix'));
    expect(configuration.imports).toEqual(expect.arrayContaining(['offsite-backup.nix', path.join(flake.dir, 'modules/offsite-backup.nix')]));
  });

  it('writes a configuration that names the remote and where the secret is, never a secret', () => {
    const conf = fs.readFileSync(path.join(flake.dir, 'hosts/nas/offsite-backup/offsite.conf'), 'utf8');
    execFileSync('bash', ['-n', path.join(flake.dir, 'hosts/nas/offsite-backup/offsite.conf')]);
    expect(conf).toContain('export RCLONE_CONFIG_OFFSITE_KEY_FILE=/var/lib/secrets/backup-key');
    expect(conf).toContain('BACKUP_REMOTE=offsite:lab/nas/offsite');
    expect(conf).toContain("'tank-data|dataset|/tank/data|tank/data'");
    expect(conf).toContain("'srv-www|directory|/srv/www|'");
    expect(conf).not.toMatch(/RCLONE_CONFIG_OFFSITE_PASS/);
  });

  it('reads a password from its file at run time only', () => {
    const ops = opsLab();
    new OffsiteBackup(ops.nas, 'offsite', { remote: sftpRemote({ privateKey: undefined, password: Secret.fromSops({ name: 'backup-password' }) }), sources: [BackupSource.directory('/srv/www')] });
    const files = renderNixFlake(ops.lab);
    const conf = files.find((f) => f.path === 'hosts/nas/offsite-backup/offsite.conf')!.content;
    expect(conf).toContain('BACKUP_PASSWORD_FILE=/run/secrets/backup-password');
    expect(files.find((f) => f.path === 'hosts/nas/offsite-backup.nix')!.content).toContain('sops.secrets.backup-password');
  });

  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', script]);
    const r = spawnSync('shellcheck', ['--severity=style', script], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(renderNixFlake(flake.lab).find((f) => f.path === 'scripts/offsite-backup.sh')!.executable).toBe(true);
  });
});

/**
 * A run of the script against the real rclone with a local folder as the remote, on the
 * configuration the generator wrote (with paths moved into a temporary folder), and a fake zfs
 * whose snapshots are copies under `.zfs/snapshot/`.
 */
function workspace() {
  const root = tempDir('homelab-offsite-');
  const dirs = { data: path.join(root, 'data'), www: path.join(root, 'www'), remote: path.join(root, 'remote'), state: path.join(root, 'state'), metrics: path.join(root, 'metrics'), bin: path.join(root, 'bin') };
  for (const d of [dirs.data, dirs.www, dirs.bin]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(dirs.data, 'db.sqlite'), 'version 1');
  fs.mkdirSync(path.join(dirs.data, 'uploads'));
  fs.writeFileSync(path.join(dirs.data, 'uploads', 'cat.jpg'), 'meow');
  fs.writeFileSync(path.join(dirs.www, 'index.html'), '<h1>hi</h1>');
  fs.writeFileSync(
    path.join(dirs.bin, 'zfs'),
    `#!/usr/bin/env bash
echo "zfs $*" >> ${JSON.stringify(path.join(root, 'zfs.log'))}
snap="\${2#*@}"
case "$1" in
  snapshot) mkdir -p ${dirs.data}/.zfs/snapshot/"$snap" && (cd ${dirs.data} && find . -mindepth 1 -maxdepth 1 ! -name .zfs -exec cp -a {} .zfs/snapshot/"$snap"/ \\;) ;;
  destroy) rm -rf ${dirs.data}/.zfs/snapshot/"$snap" ;;
  *) exit 2 ;;
esac
`,
    { mode: 0o755 },
  );
  const generated = fs.readFileSync(path.join(flake.dir, 'hosts/nas/offsite-backup/offsite.conf'), 'utf8');
  const conf = path.join(root, 'offsite.conf');
  fs.writeFileSync(
    conf,
    generated.replace(/^export RCLONE_CONFIG_OFFSITE_.*$/gm, '') +
      `BACKUP_REMOTE=offsite:${dirs.remote}\nBACKUP_SOURCES=('data|dataset|${dirs.data}|tank/data' 'www|directory|${dirs.www}|')\n` +
      `BACKUP_STATE_DIR=${dirs.state}\nBACKUP_TEXTFILE_DIR=${dirs.metrics}\nexport RCLONE_CONFIG_OFFSITE_TYPE=local\n`,
  );
  const run = (...args: string[]) => {
    const r = spawnSync('bash', [script, conf, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${dirs.bin}:${process.env.PATH}`, JOURNAL_STREAM: '' } });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  const zfsCalls = () => (fs.existsSync(path.join(root, 'zfs.log')) ? fs.readFileSync(path.join(root, 'zfs.log'), 'utf8').trim().split('\n') : []);
  return { root, dirs, conf, run, zfsCalls };
}

describe('scripts/offsite-backup.sh with rclone', () => {
  it('copies a dataset from a fresh snapshot and a directory, and reports success as metrics', () => {
    const w = workspace();
    const r = w.run('backup');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(readTree(path.join(w.dirs.remote, 'data/current'))).toEqual({ 'db.sqlite': 'version 1', 'uploads/cat.jpg': 'meow' });
    expect(readTree(path.join(w.dirs.remote, 'www/current'))).toEqual({ 'index.html': '<h1>hi</h1>' });
    expect(w.zfsCalls()).toEqual([expect.stringMatching(/^zfs snapshot tank\/data@homelab-offsite-offsite-\d{8}T\d{6}Z$/)]);
    const metrics = fs.readFileSync(path.join(w.dirs.metrics, 'offsite-backup-offsite.prom'), 'utf8');
    execFileSync('promtool', ['check', 'metrics'], { input: metrics });
    expect(metrics).toMatch(/^homelab_offsite_backup_last_success_timestamp_seconds\{backup="offsite"\} \d+$/m);
    expect(metrics).toMatch(/^homelab_offsite_backup_failed_sources\{backup="offsite"\} 0$/m);
  });

  it('keeps what the next run replaces in a version folder, and replaces the snapshot', async () => {
    const w = workspace();
    w.run('backup');
    await new Promise((r) => setTimeout(r, 1100)); // version folders are named by the second
    fs.writeFileSync(path.join(w.dirs.data, 'db.sqlite'), 'version 2');
    fs.rmSync(path.join(w.dirs.data, 'uploads/cat.jpg'));
    expect(w.run('backup').status).toBe(0);
    expect(readTree(path.join(w.dirs.remote, 'data/current'))).toEqual({ 'db.sqlite': 'version 2' });
    const versions = fs.readdirSync(path.join(w.dirs.remote, 'data/versions'));
    expect(versions).toHaveLength(1);
    expect(readTree(path.join(w.dirs.remote, 'data/versions', versions[0]))).toEqual({ 'db.sqlite': 'version 1', 'uploads/cat.jpg': 'meow' });
    const calls = w.zfsCalls();
    expect(calls[2]).toBe(`zfs destroy ${calls[0].replace('zfs snapshot ', '')}`);
    expect(fs.readdirSync(path.join(w.dirs.data, '.zfs/snapshot'))).toEqual([calls[1].split('@')[1]]);

    const back = path.join(w.root, 'restored');
    const restored = w.run('restore', '--version', versions[0], 'data', back);
    expect(restored.status).toBe(0);
    expect(readTree(back)).toEqual({ 'db.sqlite': 'version 1', 'uploads/cat.jpg': 'meow' });
    expect(w.run('list').out).toContain(`  version ${versions[0]}`);
  });

  it('restores a source into an empty folder, and refuses a folder that holds files', () => {
    const w = workspace();
    w.run('backup');
    const target = path.join(w.root, 'back');
    const r = w.run('restore', 'data', target);
    expect(r.status).toBe(0);
    expect(readTree(target)).toEqual({ 'db.sqlite': 'version 1', 'uploads/cat.jpg': 'meow' });
    const again = w.run('restore', 'data', target);
    expect(again.status).toBe(1);
    expect(again.err).toContain(`offsite-backup: ${target} is not an empty folder; restore into a new or empty one (nothing was changed)`);
    const one = path.join(w.root, 'one');
    expect(w.run('restore', 'data', one, 'uploads').status).toBe(0);
    expect(readTree(one)).toEqual({ 'cat.jpg': 'meow' });
    expect(w.run('restore', 'nope', path.join(w.root, 'x')).err).toContain('no source named nope in offsite (sources: data www)');
  });

  it('passes the restore test on a good backup and fails it, naming the file, on a damaged one', () => {
    const w = workspace();
    w.run('backup');
    const good = w.run('restore-test');
    expect(good.err).toBe('');
    expect(good.status).toBe(0);
    expect(good.out).toContain('data: restored 2 file(s), compared 2 by checksum');
    expect(fs.readFileSync(path.join(w.dirs.metrics, 'offsite-restore-test-offsite.prom'), 'utf8')).toMatch(/^homelab_offsite_restore_test_problems\{backup="offsite"\} 0$/m);
    fs.writeFileSync(path.join(w.dirs.remote, 'data/current/uploads/cat.jpg'), 'woof');
    const bad = w.run('restore-test');
    expect(bad.status).toBe(1);
    expect(bad.err).toContain('offsite-backup: data: uploads/cat.jpg differs from the original (checksums do not match)');
    expect(fs.readFileSync(path.join(w.dirs.metrics, 'offsite-restore-test-offsite.prom'), 'utf8')).toMatch(/^homelab_offsite_restore_test_problems\{backup="offsite"\} 1$/m);
  });

  // A dataset whose data are zvols (VM disks) shows no files in its snapshot directory, so rclone
  // uploads nothing: the restore test must say so, not pass.
  it('fails the restore test on a backup that holds no files, as a dataset of zvols gives', async () => {
    const w = workspace();
    expect(w.run('backup').status).toBe(0);
    await new Promise((r) => setTimeout(r, 1100)); // snapshots are named by the second
    // the dataset's files are gone (its data now only zvols): the next run empties the copy
    fs.rmSync(path.join(w.dirs.data, 'db.sqlite'));
    fs.rmSync(path.join(w.dirs.data, 'uploads'), { recursive: true });
    const backup = w.run('backup');
    expect(backup.status).toBe(0);
    expect(readTree(path.join(w.dirs.remote, 'data/current'))).toEqual({});
    const r = w.run('restore-test');
    expect(r.status).toBe(1);
    expect(r.err).toContain('offsite-backup: data: the backup holds no files, so nothing could be restored from it; check that the source has files (zvols are not copied)');
    expect(r.err).toContain('offsite-backup: the restore test found 1 problem(s)');
    expect(r.out).toContain('www: restored 1 file(s)'); // the other source is still tested
    expect(fs.readFileSync(path.join(w.dirs.metrics, 'offsite-restore-test-offsite.prom'), 'utf8')).toMatch(/^homelab_offsite_restore_test_problems\{backup="offsite"\} 1$/m);
  });

  it('compares a directory\'s files only when they did not change after the backup', () => {
    const w = workspace();
    w.run('backup');
    const future = new Date(Date.now() + 60_000);
    fs.writeFileSync(path.join(w.dirs.www, 'index.html'), '<h1>changed</h1>');
    fs.utimesSync(path.join(w.dirs.www, 'index.html'), future, future);
    const r = w.run('restore-test');
    expect(r.status).toBe(0);
    expect(r.out).toContain('www: restored 1 file(s), compared 0 by checksum, skipped 1 changed since the backup');
  });

  it('prunes version folders as Proxmox prunes backups', () => {
    const w = workspace();
    const versions = ['20260710T030000Z', '20260709T150000Z', '20260709T030000Z', '20260708T030000Z', '20260705T030000Z', '20260628T030000Z', '20260620T030000Z'];
    for (const v of versions) {
      fs.mkdirSync(path.join(w.dirs.remote, 'www/versions', v), { recursive: true });
      fs.writeFileSync(path.join(w.dirs.remote, 'www/versions', v, 'old.html'), v);
    }
    fs.appendFileSync(w.conf, "BACKUP_RETENTION='last=1 daily=2 weekly=2'\n");
    expect(w.run('prune').status).toBe(0);
    // last=1: the 10th; daily=2: the 9th (its newest) and the 8th; weekly=2: weeks 27 and 26 (week 28 is covered)
    expect(fs.readdirSync(path.join(w.dirs.remote, 'www/versions')).sort().reverse()).toEqual(['20260710T030000Z', '20260709T150000Z', '20260708T030000Z', '20260705T030000Z', '20260628T030000Z']);
  });

  it('refuses an unknown command, a missing configuration and a bad version', () => {
    const w = workspace();
    expect(w.run('explode').status).toBe(2);
    expect(w.run('restore', '--version', 'yesterday', 'data', path.join(w.root, 'x')).err).toContain('--version takes a version such as 20260701T030000Z');
    const missing = spawnSync('bash', [script, 'nothing-here', 'backup'], { encoding: 'utf8', env: { ...process.env, OFFSITE_BACKUP_CONFIG_DIR: w.root } });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read the configuration ${w.root}/nothing-here.conf`);
  });
});
