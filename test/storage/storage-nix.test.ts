import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Disk, HardwareProfile, Host, PartitionType, renderNixFlake, Size, VdevLayout, ZfsPool, ZfsReplication, ZfsSettings } from '../../lib/internal';
import { ReferenceLab } from '../../apps/reference-lab';
import { materialize, vmHost } from '../support/labs';
import { evalModule, evalNixJson, nixFilesUnder, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';
import { diskoProblems } from './disko-shape';
import { zfsLab } from './support';

let ref: ReferenceLab;
let nixDir: string;
let zfs: Record<string, any>;
let disko: Record<string, any>;

beforeAll(() => {
  ({ ref, nixDir } = synthesizeReferenceLab());
  zfs = evalModule(path.join(nixDir, 'hosts/maxdata/zfs.nix'));
  disko = evalModule(path.join(nixDir, 'hosts/maxdata/disko.nix')).disko.devices;
});

const paths = (devices: ReadonlyArray<{ path: string }>) => devices.map((d) => d.path);

describe("maxdata's ZFS configuration", () => {
  it('parses with the real Nix parser, like every file of the flake', () => {
    const files = ['hosts/maxdata/zfs.nix', 'hosts/maxdata/disko.nix', 'modules/zfs-health.nix'].map((f) => path.join(nixDir, f));
    expect(parseNixFiles(files)).toEqual([]);
    expect(parseNixFiles(nixFilesUnder(nixDir))).toEqual([]);
  });

  it('is imported by the host, with the health module and disko', () => {
    const config = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages);
    expect(config.imports).toEqual(expect.arrayContaining(['zfs.nix', 'disko.nix', path.join(nixDir, 'modules/zfs-health.nix')]));
    const flake = fs.readFileSync(path.join(nixDir, 'flake.nix'), 'utf8');
    expect(flake).toContain('inputs.disko.nixosModules.disko');
    const inputs = evalNixJson(`(import ${nixDir}/flake.nix).inputs`) as Record<string, any>;
    expect(inputs.disko).toEqual({ url: 'github:nix-community/disko', inputs: { nixpkgs: { follows: 'nixpkgs' } } });
  });

  it('enables ZFS with the host id that ZFS needs: eight hex digits, unique to the host', () => {
    const config = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages);
    expect(config.networking.hostId).toBe(ref.maxdata.hostId);
    expect(config.networking.hostId).toMatch(/^[0-9a-f]{8}$/);
    const others = Host.all(ref.lab).filter((h) => h !== ref.maxdata).map((h) => h.hostId);
    expect(others).not.toContain(ref.maxdata.hostId);
    expect(zfs.boot.supportedFilesystems).toEqual({ zfs: true });
  });

  it('imports at boot the pool holding / and later the others (boot.zfs.extraPools)', () => {
    const { fast, tank } = ref.storage;
    expect(fast.neededForBoot).toBe(true);
    expect(tank.neededForBoot).toBe(false);
    expect(zfs.boot.zfs.extraPools).toEqual([tank.poolName]);
    expect(zfs.boot.initrd.supportedFilesystems).toEqual({ zfs: true });
  });

  it('limits the ARC to 16 GiB max and 4 GiB min and tunes L2ARC writes, as kernel module parameters', () => {
    const params = Object.fromEntries((zfs.boot.kernelParams as string[]).map((p) => p.split('=')));
    const settings = ZfsSettings.resolve(ref.maxdata);
    expect(Number(params['zfs.zfs_arc_max'])).toBe(Size.gibibytes(16).toBytes());
    expect(Number(params['zfs.zfs_arc_min'])).toBe(Size.gibibytes(4).toBytes());
    expect(Number(params['zfs.zfs_arc_max'])).toBeLessThan(ref.maxdata.memory!.toBytes());
    expect(Number(params['zfs.l2arc_write_max'])).toBe(settings.l2arc.writeMax!.toBytes());
    expect(Number(params['zfs.l2arc_write_boost'])).toBe(settings.l2arc.writeBoost!.toBytes());
  });

  it('scrubs every pool monthly and trims weekly', () => {
    expect(zfs.services.zfs.autoScrub).toEqual({ enable: true, interval: 'monthly' });
    expect(zfs.services.zfs.trim).toEqual({ enable: true, interval: 'weekly' });
  });

  it('gives sanoid the production template and the datasets that use it, my-app (with the zvols of its VM disks) among them', () => {
    const sanoid = zfs.services.sanoid;
    expect(sanoid.enable).toBe(true);
    expect(sanoid.templates.production).toMatchObject({ hourly: 36, daily: 30, monthly: 3, autosnap: true, autoprune: true });
    // my-app backs the Proxmox storage my-app: its VM disks are zvols under it (vm-101-disk-0),
    // which sanoid snapshots only with recursive (nixpkgs services.sanoid.datasets.<name>.recursive).
    expect(sanoid.datasets[ref.storage.myAppDataset.datasetName]).toEqual({ use_template: ['production'], recursive: true });
    expect(sanoid.datasets.fast).toEqual({ use_template: ['production'], recursive: true });
    for (const dataset of Object.values<any>(sanoid.datasets)) {
      for (const template of dataset.use_template) expect(Object.keys(sanoid.templates)).toContain(template);
    }
  });

  it('replicates fast into tank with syncoid, into a dataset that only syncoid creates', () => {
    const [replication] = ZfsReplication.fromHost(ref.maxdata);
    const command = zfs.services.syncoid.commands[replication.commandName];
    expect(command).toEqual({ source: 'fast', target: 'tank/backup/fast', recursive: true });
    expect(zfs.services.syncoid).toMatchObject({ enable: true, interval: 'hourly' });
    expect(Object.keys(disko.zpool.tank.datasets).map((d) => `tank/${d}`)).not.toContain(command.target);
    expect(Object.keys(disko.zpool.tank.datasets)).toContain(command.target.split('/').slice(1, -1).join('/'));
  });

  it('runs the health check hourly with 80 % thresholds', () => {
    expect(zfs.homelab.zfsHealth).toEqual({ enable: true, schedule: 'hourly', capacityThreshold: 80, specialThreshold: 80 });
  });
});

describe("maxdata's disko configuration", () => {
  it('has the shape of disko\'s types, every pool device in its topology', () => {
    expect(diskoProblems(disko)).toEqual([]);
  });

  it("reproduces tank's topology: raidz1 of the four HDDs, special and log mirrors, striped cache", () => {
    const { tank } = ref.storage;
    const topology = disko.zpool.tank.mode.topology;
    expect(topology.vdev).toEqual([{ mode: 'raidz1', members: paths(tank.dataVdevs[0].devices) }]);
    expect(topology.special).toEqual([{ mode: 'mirror', members: paths(tank.specialVdevs[0].devices) }]);
    expect(topology.log).toEqual([{ mode: 'mirror', members: paths(tank.logVdevs[0].devices) }]);
    expect(topology.cache).toEqual(paths(tank.cacheVdevs[0].devices));
    // tank backs the Proxmox storage tank (windows11's zvols sit right under it): no small blocks
    // there, the special vdev's 32K threshold on the file systems under it instead.
    expect(disko.zpool.tank.rootFsOptions).toMatchObject({ special_small_blocks: '0', compression: 'lz4', atime: 'off', xattr: 'sa', acltype: 'posix' });
    expect(disko.zpool.tank.datasets.vms.options).toEqual({ special_small_blocks: '32K' });
    expect(disko.zpool.tank.datasets.vzdump.options).toMatchObject({ special_small_blocks: '32K' });
    expect(disko.zpool.tank.options.ashift).toBe('12');
  });

  it('partitions each SSD into special, log and cache, in that order, at the sizes of the model', () => {
    const ssds = [...new Set(ref.storage.tank.specialVdevs[0].devices.map((p) => (p as any).disk as Disk))];
    expect(ssds).toHaveLength(2);
    for (const ssd of ssds) {
      const partitions = Object.values<any>(disko.disk[ssd.name].content.partitions).sort((a, b) => a.priority - b.priority);
      expect(partitions.map((p) => p.device)).toEqual(paths(ssd.partitions));
      expect(partitions.map((p) => p.size)).toEqual(ssd.partitions.map((p) => (p.declaredSize ? `${p.declaredSize.to('MiB', 'floor')}M` : '100%')));
      expect(partitions.map((p) => p.content.pool)).toEqual(['tank', 'tank', 'tank']);
    }
  });

  it("lays out fast's NVMe: the EFI partition at /boot, then the pool with / and /nix (mounted by NixOS)", () => {
    const nvme = disko.disk['nvme-Samsung_SSD_980_PRO_1TB_S5GXNX0T300003C'];
    const [esp, pool] = Object.values<any>(nvme.content.partitions).sort((a, b) => a.priority - b.priority);
    expect(esp).toMatchObject({ type: 'EF00', content: { type: 'filesystem', format: 'vfat', mountpoint: '/boot' } });
    expect(pool).toMatchObject({ size: '100%', content: { type: 'zfs', pool: 'fast' } });
    expect(disko.zpool.fast.mode.topology.vdev).toEqual([{ members: [pool.device] }]);
    expect(disko.zpool.fast.datasets).toEqual({
      root: { type: 'zfs_fs', mountpoint: '/', options: { mountpoint: 'legacy' } },
      nix: { type: 'zfs_fs', mountpoint: '/nix', options: { mountpoint: 'legacy' } },
    });
    // The hardware module leaves / and /boot to disko.
    expect(evalModule(path.join(nixDir, 'hosts/maxdata/hardware.nix')).fileSystems).toBeUndefined();
  });
});

describe('hosts without disko or without ZFS', () => {
  // nixpkgs' nixos/modules/tasks/filesystems/zfs.nix warns while boot.zfs.forceImportRoot keeps
  // its default (true) and imports the pools needed at boot with `zpool import -f` then; the
  // pools carry the host's hostid (scripts/create-pools-<host>.sh), so no force is needed.
  it('imports the root pool without force (boot.zfs.forceImportRoot = false), unless told to', () => {
    expect(zfs.boot.zfs.forceImportRoot).toBe(false);
    const { lab, nas } = zfsLab();
    new ZfsSettings(nas, 'zfs', { forceImportRoot: true });
    const dir = materialize(renderNixFlake(lab));
    expect(evalModule(path.join(dir, 'hosts/nas/zfs.nix')).boot.zfs.forceImportRoot).toBe(true);
  });

  it('lets no zvol inherit special_small_blocks: 0 on every dataset that holds VM disks or their replicas', () => {
    const byName = Object.fromEntries(ref.storage.tank.allDatasets.map((d) => [d.datasetName, d]));
    const holders = Object.values(byName).filter((d) => d.holdsVolumes).map((d) => d.datasetName);
    expect(holders).toEqual(['tank', 'tank/vms/my-app', 'tank/backup']); // storages tank and my-app; fast's replicas
    const options = (name: string) => (name === 'tank' ? disko.zpool.tank.rootFsOptions : disko.zpool.tank.datasets[name.slice('tank/'.length)].options);
    for (const name of holders) expect(options(name).special_small_blocks).toBe('0');
  });

  it('writes the NixOS-mounted file systems itself when disko is off', () => {
    const { lab } = zfsLab();
    const host = vmHost(lab, 'plain', '10.0.0.9', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', rootFileSystem: false, bootFileSystem: false }) });
    new ZfsSettings(host, 'zfs', { disko: false, healthCheck: false, trim: false });
    const nvme = Disk.byId('/dev/disk/by-id/nvme-TEST_1TB', { size: Size.terabytes(1) });
    const esp = nvme.addPartition({ size: Size.gibibytes(1), type: PartitionType.EFI_SYSTEM });
    const rpool = new ZfsPool(host, 'rpool', { mountpoint: 'none' });
    rpool.addDataVdev({ layout: VdevLayout.STRIPE, devices: [nvme.addPartition()] });
    rpool.addDataset('root', { mountpoint: '/' });
    const dir = materialize(renderNixFlake(lab));
    expect(fs.existsSync(path.join(dir, 'hosts/plain/disko.nix'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'flake.nix'), 'utf8')).not.toContain('disko');
    const module = evalModule(path.join(dir, 'hosts/plain/zfs.nix'));
    expect(module.fileSystems).toEqual({
      '/': { device: 'rpool/root', fsType: 'zfs' },
      '/boot': { device: esp.path, fsType: 'vfat', options: ['fmask=0077', 'dmask=0077'] },
    });
    expect(module.services.zfs.trim).toEqual({ enable: false });
    expect(module.homelab).toBeUndefined();
    expect(module.boot.zfs.extraPools).toBeUndefined();
    expect(fs.existsSync(path.join(dir, 'modules/zfs-health.nix'))).toBe(false);
  });

  it('gives hosts without pools or ZFS settings no ZFS at all', () => {
    for (const host of [ref.piNetwork, ...ref.k3sNodes]) {
      expect(fs.existsSync(path.join(nixDir, 'hosts', host.hostName, 'zfs.nix'))).toBe(false);
      expect(fs.existsSync(path.join(nixDir, `scripts/create-pools-${host.hostName}.sh`))).toBe(false);
    }
  });

  it('runs replications with their own schedule through an override of the unit', () => {
    const { lab, nas } = zfsLab();
    const disks = [1, 2, 3, 4].map((n) => Disk.byId(`/dev/disk/by-id/ata-S${n}`, { size: Size.terabytes(2) }));
    const tank = new ZfsPool(nas, 'tank');
    tank.addDataVdev({ layout: VdevLayout.MIRROR, devices: disks.slice(0, 2) });
    const backup = new ZfsPool(nas, 'backup');
    backup.addDataVdev({ layout: VdevLayout.MIRROR, devices: disks.slice(2) });
    tank.addDataset('a').replicateTo(backup);
    tank.addDataset('b').replicateTo(backup);
    tank.addDataset('c').replicateTo(backup, { schedule: 'daily', recursive: false });
    const dir = materialize(renderNixFlake(lab));
    const text = fs.readFileSync(path.join(dir, 'hosts/nas/zfs.nix'), 'utf8');
    expect(parseNixFiles([path.join(dir, 'hosts/nas/zfs.nix')])).toEqual([]);
    const syncoid = evalNixJson(`(import ${dir}/hosts/nas/zfs.nix { config = { }; pkgs = { }; lib.mkForce = v: { force = v; }; }).services.syncoid`) as any;
    expect(syncoid.interval).toBe('hourly');
    expect(syncoid.commands['tank-a-to-backup-a'].service).toBeUndefined();
    expect(syncoid.commands['tank-c-to-backup-c']).toEqual({ source: 'tank/c', target: 'backup/c', recursive: false, service: { startAt: { force: 'daily' } } });
    expect(text).toContain('lib.mkForce "daily"');
  });
});
