import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ReferenceLab } from '../../apps/reference-lab';
import { tempDir } from '../support/labs';
import { evalModule } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';
import { diskOf } from '../../lib/storage/disk';

let ref: ReferenceLab;
let nixDir: string;
let createPools: string;
let health: string;

const FIXTURES = path.join(__dirname, 'fixtures', 'zfs-health');

beforeAll(() => {
  ({ ref, nixDir } = synthesizeReferenceLab());
  createPools = path.join(nixDir, 'scripts/create-pools-maxdata.sh');
  health = path.join(nixDir, 'scripts/zfs-health.sh');
});

/** A folder of fake commands that log their arguments, one call a line, to `$FAKE_LOG`. */
function fakeBin(commands: Record<string, string> = {}): { bin: string; log: string } {
  const bin = tempDir('homelab-fakebin-');
  const log = path.join(bin, 'calls.log');
  const logging = `#!/usr/bin/env bash\necho "$(basename "$0") $*" >> ${JSON.stringify(log)}\n`;
  for (const name of ['zpool', 'zfs', 'sgdisk', 'wipefs', 'udevadm', 'mkfs.fat', 'rm', 'zgenhostid', 'hostid']) {
    fs.writeFileSync(path.join(bin, name), logging + (commands[name] ?? 'exit 0\n'), { mode: 0o755 });
  }
  return { bin, log };
}

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the script with `--yes-destroy-data` where the model's disks exist: in a mount namespace
 * whose /dev is an overlay holding empty files at their by-id paths (the real /dev is untouched).
 */
function runCreate(script: string, bin: string) {
  const disks = ref.storage.tank.vdevs.concat(ref.storage.fast.vdevs).flatMap((v) => v.devices).map((d) => diskOf(d).path);
  const scratch = tempDir('homelab-dev-');
  const setup = [
    'mount --make-rprivate /',
    `mount -t tmpfs none ${scratch}`,
    `mkdir ${scratch}/upper ${scratch}/work`,
    `mount -t overlay overlay -o lowerdir=/dev,upperdir=${scratch}/upper,workdir=${scratch}/work /dev`,
    'mkdir -p /dev/disk/by-id',
    ...[...new Set(disks)].map((d) => `: > ${d}`),
    `exec bash ${script} --yes-destroy-data`,
  ].join(' && ');
  const r = spawnSync('unshare', ['-m', 'bash', '-c', setup], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const calls = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('scripts/create-pools-<host>.sh', () => {
  it('passes bash -n and shellcheck, and is executable', () => {
    execFileSync('bash', ['-n', createPools]);
    execFileSync('shellcheck', ['--severity=style', createPools]);
    expect(fs.statSync(createPools).mode & 0o111).not.toBe(0);
  });

  it("prints, without running anything, the zpool create of tank's full topology", () => {
    const { bin, log } = fakeBin();
    const r = run(createPools, [], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(0);
    expect(calls(log)).toEqual([]);
    const tankCreate = r.stdout.split('\n').find((l) => l.startsWith('zpool create') && / tank /.test(l))!;
    const { tank } = ref.storage;
    const devices = (v: { devices: ReadonlyArray<{ path: string }> }) => v.devices.map((d) => d.path).join(' ');
    expect(tankCreate).toContain(
      ` tank raidz1 ${devices(tank.dataVdevs[0])} special mirror ${devices(tank.specialVdevs[0])} log mirror ${devices(tank.logVdevs[0])} cache ${devices(tank.cacheVdevs[0])}`,
    );
    expect(tankCreate).toContain('-o ashift=12');
    expect(tankCreate).toContain('-O special_small_blocks=0'); // windows11's zvols are right under tank
    expect(r.stdout).toContain('zfs create -o special_small_blocks=32K tank/vms');
    expect(r.stdout).toContain('zfs create -o special_small_blocks=0 tank/vms/my-app');
  });

  it('creates the same partitions and pools as the disko configuration', () => {
    const r = run(createPools, ['--print']);
    const disko = evalModule(path.join(nixDir, 'hosts/maxdata/disko.nix')).disko.devices;
    // Every partition of disko, by device, with its size and type code, is made by an sgdisk --new.
    for (const disk of Object.values<any>(disko.disk)) {
      for (const part of Object.values<any>(disk.content.partitions ?? {})) {
        const n = part.priority;
        const end = part.size === '100%' ? '0' : `+${part.size}`;
        expect(r.stdout).toContain(`sgdisk --new=${n}:0:${end} --typecode=${n}:${part.type} `);
        expect(part.device).toBe(`${disk.device}-part${n}`);
      }
    }
    // Every pool's members appear in its zpool create, role by role.
    for (const [name, pool] of Object.entries<any>(disko.zpool)) {
      const line = r.stdout.split('\n').find((l) => l.startsWith('zpool create') && l.includes(` ${name} `))!;
      for (const vdev of pool.mode.topology.vdev) expect(line).toContain(` ${name} ${[vdev.mode, ...vdev.members].filter(Boolean).join(' ')}`);
      for (const role of ['special', 'log'] as const) {
        for (const vdev of pool.mode.topology[role] ?? []) expect(line).toContain(` ${role} ${vdev.mode} ${vdev.members.join(' ')}`);
      }
      if (pool.mode.topology.cache) expect(line).toContain(` cache ${pool.mode.topology.cache.join(' ')}`);
      for (const [k, v] of Object.entries(pool.rootFsOptions)) expect(line).toContain(`-O ${k}=${v}`);
    }
  });

  it('refuses to touch any disk when a pool of that name exists', () => {
    const { bin, log } = fakeBin({ zpool: '[[ "$1" == list && "${!#}" == tank ]] && exit 0\nexit 1\n' });
    const r = run(createPools, ['--yes-destroy-data'], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('a pool named tank already exists; refusing to touch any disk');
    expect(calls(log).filter((c) => !c.startsWith('zpool list') && !c.startsWith('zpool import'))).toEqual([]);
  });

  it('refuses when a disk of the model is missing', () => {
    const { bin, log } = fakeBin({ zpool: 'exit 1\n' });
    const r = run(createPools, ['--yes-destroy-data'], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/create-pools: \/dev\/disk\/by-id\/\S+ does not exist; correct the disk ids in the model/);
    expect(calls(log).filter((c) => !c.startsWith('zpool'))).toEqual([]);
  });

  // ZFS stamps a pool with the hostid of the system that imports it; NixOS's zfs-import-<pool>
  // imports a pool last used under another hostid only with boot.zfs.forceImportAll (nixpkgs
  // nixos/modules/tasks/filesystems/zfs.nix), and the installer's hostid is 8425e349
  // (nixos/modules/profiles/base.nix).
  it("creates the pools under the host's own hostid, so that the installed host imports them", () => {
    const state = tempDir('homelab-hostid-');
    const { bin, log } = fakeBin({
      zpool: '[[ "$1" == list || "$1" == import ]] && exit 1\nexit 0\n',
      // stand-ins: zgenhostid writes the hostid where the stand-in hostid reads it
      zgenhostid: `echo "\${!#}" > ${state}/hostid\n`,
      hostid: `cat ${state}/hostid 2>/dev/null || echo 8425e349\n`,
    });
    const r = runCreate(createPools, bin);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const made = calls(log).filter((c) => !/^(zpool (list|import)|hostid)\b/.test(c));
    const hostId = ref.maxdata.hostId;
    expect(made.slice(0, 2)).toEqual(['rm -f /etc/hostid', `zgenhostid ${hostId}`]);
    expect(made.filter((c) => c.startsWith('zpool create')).map((c) => c.split(' ').find((w) => w === 'tank' || w === 'fast'))).toEqual(['fast', 'tank']);
    // the NixOS configuration gives the installed host the same hostid
    const configuration = fs.readFileSync(path.join(nixDir, 'hosts/maxdata/configuration.nix'), 'utf8');
    expect(configuration).toContain(`hostId = "${hostId}";`);
  });

  it('creates no pool when the hostid did not take', () => {
    const { bin, log } = fakeBin({ zpool: '[[ "$1" == list || "$1" == import ]] && exit 1\nexit 0\n', hostid: 'echo 8425e349\n' });
    const r = runCreate(createPools, bin);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the hostid is 8425e349 after zgenhostid, not ${ref.maxdata.hostId}; no pool was created`);
    expect(calls(log).filter((c) => /^(zpool create|wipefs|sgdisk)/.test(c))).toEqual([]);
  });

  it('gives existing pools the properties of the model without touching disks', () => {
    const printed = run(createPools, ['--print-properties']).stdout.split('\n').filter((l) => /^(zfs|zpool) set /.test(l));
    expect(printed).toContain('zfs set acltype=posix atime=off compression=lz4 special_small_blocks=0 xattr=sa tank');
    expect(printed).toContain('zfs set special_small_blocks=32K tank/vms');
    const { bin, log } = fakeBin();
    const r = run(createPools, ['--apply-properties'], { PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(0);
    const made = calls(log).filter((c) => !c.startsWith('zpool list'));
    expect(made).toEqual(printed);
    expect(made.some((c) => /^(sgdisk|wipefs|mkfs)/.test(c) || c.startsWith('zpool create'))).toBe(false);
  });

  it('rejects an unknown argument', () => {
    const r = run(createPools, ['--yes']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument --yes');
    expect(r.stderr).toContain('--yes-destroy-data');
  });
});

/** Runs the health check with a fake zpool that answers from a fixture folder. */
function checkHealth(fixture: string, args: string[] = [], env: Record<string, string> = {}) {
  const bin = tempDir('homelab-zpool-');
  const zpool = path.join(bin, 'zpool');
  fs.writeFileSync(
    zpool,
    `#!/usr/bin/env bash
dir=${JSON.stringify(path.join(FIXTURES, fixture))}
pool="\${!#}"
case "$1 $*" in
  "list list -H -o name") for f in "$dir"/*.list; do basename "$f" .list; done ;;
  list*) [[ -f "$dir/$pool.list" ]] || { echo "cannot open '$pool': no such pool" >&2; exit 1; }; cat "$dir/$pool.list" ;;
  status*) cat "$dir/$pool.status" ;;
  *) exit 2 ;;
esac
`,
    { mode: 0o755 },
  );
  return run(health, args, { ZPOOL: zpool, JOURNAL_STREAM: '', ...env });
}

describe('scripts/zfs-health.sh', () => {
  it('passes bash -n and shellcheck', () => {
    execFileSync('bash', ['-n', health]);
    execFileSync('shellcheck', ['--severity=style', health]);
  });

  it('exits 0 and says so when every pool is healthy', () => {
    const r = checkHealth('healthy');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('zfs-health: 2 pool(s) healthy: fast tank\n');
  });

  it('reports a degraded pool: its state, the faulted disk and its errors', () => {
    const r = checkHealth('degraded');
    expect(r.status).toBe(1);
    const faulted = 'ata-WDC_WD40EFPX-68C6CN0_WD-WX12D1A0003';
    expect(r.stderr.split('\n')).toEqual([
      'zfs-health: tank: pool state is DEGRADED',
      'zfs-health: tank: raidz1-0 is DEGRADED',
      `zfs-health: tank: ${faulted} is FAULTED`,
      `zfs-health: tank: ${faulted} has errors: 12 read, 204 write, 0 checksum`,
      'zfs-health: 4 problem(s) in fast tank',
      '',
    ]);
  });

  it('reports a special vdev at 85 % against the default threshold of 80 %', () => {
    const r = checkHealth('special-85');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('zfs-health: tank: special vdev mirror-1 is 85% full (threshold 80%): new metadata spills onto the data vdevs');
    expect(r.stderr).toContain('1 problem(s)');
  });

  it('takes the thresholds from its arguments', () => {
    expect(checkHealth('special-85', ['--special-threshold', '90']).status).toBe(0);
    const full = checkHealth('healthy', ['--capacity-threshold', '30']);
    expect(full.status).toBe(1);
    expect(full.stderr).toContain('zfs-health: tank: pool is 34% full (threshold 30%)');
    expect(full.stderr).not.toContain('fast: pool is');
  });

  it('checks only the pools it is given', () => {
    expect(checkHealth('degraded', ['fast']).status).toBe(0);
    const missing = checkHealth('healthy', ['nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("zfs-health: nope: cannot be listed: cannot open 'nope': no such pool");
  });

  it('marks problems with the error priority when systemd sends its output to the journal', () => {
    const r = checkHealth('special-85', [], { JOURNAL_STREAM: '8:12345' });
    expect(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('<3>zfs-health: '))).toBe(true);
  });

  it('refuses a threshold that is not a percentage', () => {
    const r = checkHealth('healthy', ['--special-threshold', '120']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("a threshold is a whole percentage from 1 to 100, not '120'");
  });
});
