import { describe, expect, it } from 'vitest';
import { Addressing, Disk, HardwareProfile, PartitionType, ProxmoxHost, Secret, Size, SnapshotPolicy, StorageBacking, VdevLayout, ZfsPool, ZfsReplication, ZfsSettings } from '../../lib';
import { vmHost } from '../support/labs';
import { errorsOf, raidzPool, testDisks, warningsOf, zfsLab } from './support';

describe('a valid pool', () => {
  it('has no errors: raidz1 data, mirrored special and log, striped cache from partitions', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds);
    const [special, log, cache] = [Size.gigabytes(400), Size.gigabytes(100), undefined].map((size) => ssds.map((s) => s.addPartition({ size })));
    tank.addSpecialVdev({ devices: special, smallBlocks: Size.kibibytes(32) });
    tank.addLogVdev({ devices: log });
    tank.addCacheVdev({ devices: cache });
    tank.addDataset('vms').addDataset('my-app', { recordsize: Size.kibibytes(64) });
    expect(errorsOf(lab)).toEqual([]);
  });
});

describe('special and log vdevs', () => {
  it('refuses a special vdev of one device when the data vdev is raidz1', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    raidzPool(nas, hdds).addSpecialVdev({ devices: [ssds[0]] });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/special: special vdev has 1 device but the data vdev is raidz1; a single device makes the pool depend on it: losing it loses the whole pool. ' +
        'Fix: give it two devices (a mirror), or set allowSingleDevice: true to accept the risk.',
    ]);
  });

  it('refuses a log vdev of one device when the data vdevs are mirrors', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = new ZfsPool(nas, 'tank');
    tank.addDataVdev({ layout: VdevLayout.MIRROR, devices: hdds.slice(0, 2) });
    tank.addDataVdev({ layout: VdevLayout.MIRROR, devices: hdds.slice(2, 4) });
    tank.addLogVdev({ devices: [ssds[0]] });
    const errors = errorsOf(lab);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^testlab\/nas\/tank\/log: log vdev has 1 device but the data vdevs are mirror \+ mirror; .*Fix: give it two devices \(a mirror\), or set allowSingleDevice: true/);
  });

  it('accepts a single special device only through the named override, and in a pool without redundancy', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    raidzPool(nas, hdds).addSpecialVdev({ devices: [ssds[0]], allowSingleDevice: true });
    const scratch = new ZfsPool(nas, 'scratch');
    scratch.addDataVdev({ layout: VdevLayout.STRIPE, devices: [hdds[4]] });
    scratch.addLogVdev({ devices: [ssds[1]] });
    expect(errorsOf(lab)).toEqual([]);
  });
});

describe('devices', () => {
  it('refuses a disk used by two pools of one host, naming the first user', () => {
    const { lab, nas } = zfsLab();
    const { hdds } = testDisks();
    raidzPool(nas, hdds);
    const other = new ZfsPool(nas, 'other');
    other.addDataVdev({ layout: VdevLayout.MIRROR, devices: [hdds[3], hdds[4]] });
    expect(errorsOf(lab)).toEqual([
      `testlab/nas/other/data-1: ${hdds[3].path} is used twice on nas: here and by testlab/nas/tank/data-1. Fix: give each disk or partition to one vdev only.`,
    ]);
  });

  it('refuses a partition used twice, even through two Disk values of one path', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const again = Disk.byId(ssds[0].path, { size: Size.terabytes(1) });
    const tank = raidzPool(nas, hdds);
    tank.addSpecialVdev({ devices: [ssds[0].addPartition({ size: Size.gigabytes(100) }), ssds[1].addPartition({ size: Size.gigabytes(100) })] });
    tank.addCacheVdev({ devices: [again.addPartition({ size: Size.gigabytes(100) })] });
    expect(errorsOf(lab).join('\n')).toContain(`testlab/nas/tank/cache: ${ssds[0].path}-part1 is used twice on nas: here and by testlab/nas/tank/special. Fix:`);
  });

  it('refuses a whole disk whose partition another vdev uses', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds);
    tank.addCacheVdev({ devices: [ssds[0].addPartition({ size: Size.gigabytes(100) })] });
    tank.addLogVdev({ devices: [ssds[0], ssds[1]] });
    expect(errorsOf(lab)).toEqual([
      `testlab/nas/tank/log: disk ${ssds[0].path} is used whole here, but testlab/nas/tank/cache uses a partition of it. Fix: use either the whole disk or its partitions, not both.`,
    ]);
  });

  it('allows the same disk path on two hosts (they are different machines)', () => {
    const { lab, nas } = zfsLab();
    const other = vmHost(lab, 'other', '10.0.0.6');
    raidzPool(nas, testDisks().hdds);
    raidzPool(other, testDisks().hdds);
    expect(errorsOf(lab)).toEqual([]);
  });

  it('refuses a disk named outside /dev/disk/by-id/', () => {
    const { lab, nas } = zfsLab();
    const { hdds } = testDisks();
    const sda = Disk.byId('/dev/sda', { size: Size.terabytes(4) });
    raidzPool(nas, [sda, ...hdds], 4);
    expect(errorsOf(lab)).toEqual([
      "testlab/nas/tank/data-1: device /dev/sda is not named by /dev/disk/by-id/ (names like /dev/sda change between boots). Fix: name the disk by its id: Disk.byId('/dev/disk/by-id/…') (ls -l /dev/disk/by-id/ shows which id points at which disk).",
    ]);
  });

  it('refuses partitions that add up to more than the disk', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const parts = ssds.map((s) => s.addPartition({ size: Size.gigabytes(800) }));
    ssds.forEach((s) => s.addPartition({ size: Size.gigabytes(300) }));
    raidzPool(nas, hdds).addSpecialVdev({ devices: parts });
    expect(errorsOf(lab).join('\n')).toMatch(/testlab\/nas\/tank\/special: the partitions of \/dev\/disk\/by-id\/ata-TEST_SSD_1TB_T1 add up to 1\.0 TiB, more than the disk's 931\.3 GiB\. Fix:/);
  });

  it('refuses an EFI system partition as a vdev member', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const esp = ssds[0].addPartition({ size: Size.gibibytes(1), type: PartitionType.EFI_SYSTEM });
    raidzPool(nas, hdds).addCacheVdev({ devices: [esp] });
    expect(errorsOf(lab).join('\n')).toContain(`testlab/nas/tank/cache: partition ${esp.path} is an EFI system partition, not a ZFS partition. Fix:`);
  });
});

describe('data vdev sizes', () => {
  it.each([
    [VdevLayout.RAIDZ1, 2, 3],
    [VdevLayout.RAIDZ2, 3, 4],
    [VdevLayout.RAIDZ3, 4, 5],
    [VdevLayout.MIRROR, 1, 2],
  ])('refuses a %s with %i disks (it needs %i)', (layout, count, needed) => {
    const { lab, nas } = zfsLab();
    const tank = new ZfsPool(nas, 'tank');
    tank.addDataVdev({ layout, devices: testDisks().hdds.slice(0, count) });
    const errors = errorsOf(lab);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^testlab/nas/tank/data-1: a ${layout} vdev needs at least ${needed} devices; this one has ${count}\\. Fix: give it ${needed} or more devices`));
  });

  it('refuses a pool without data vdev', () => {
    const { lab, nas } = zfsLab();
    new ZfsPool(nas, 'empty');
    expect(errorsOf(lab)).toEqual(['testlab/nas/empty: pool empty has no data vdev. Fix: add one with pool.addDataVdev({ layout, devices }).']);
  });
});

describe('special_small_blocks', () => {
  it('refuses a dataset whose recordsize is not above the special vdev threshold', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds);
    tank.addSpecialVdev({ devices: ssds, smallBlocks: Size.kibibytes(32) });
    tank.addDataset('db', { recordsize: Size.kibibytes(16) });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/db: special_small_blocks (32 KiB) is not below the recordsize (16 KiB) of tank/db, so every block of it would land on the special vdev and fill it. ' +
        'Fix: give tank/db a recordsize above 32 KiB, or set its specialSmallBlocks below 16 KiB (Size.bytes(0) keeps only metadata there).',
    ]);
  });

  it('follows inheritance: a child inherits the small recordsize, and its own threshold fixes it', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds);
    tank.addSpecialVdev({ devices: ssds, smallBlocks: Size.kibibytes(32) });
    const db = tank.addDataset('db', { recordsize: Size.kibibytes(16), specialSmallBlocks: Size.bytes(0) });
    db.addDataset('wal');
    expect(errorsOf(lab)).toEqual([]);
    db.addDataset('logs', { specialSmallBlocks: Size.kibibytes(16) });
    expect(errorsOf(lab).map((e) => e.split(':')[0])).toEqual(['testlab/nas/tank/db/logs']);
  });

  it('ignores the threshold when the pool has no special vdev', () => {
    const { lab, nas } = zfsLab();
    raidzPool(nas, testDisks().hdds).addDataset('db', { recordsize: Size.kibibytes(16), specialSmallBlocks: Size.kibibytes(32) });
    expect(errorsOf(lab)).toEqual([]);
  });
});

describe('ARC limits', () => {
  it('refuses an ARC max not below the host RAM', () => {
    const { lab, nas } = zfsLab();
    new ZfsSettings(nas, 'zfs', { arcMax: Size.gibibytes(32) });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/zfs: arcMax (32 GiB) is not below the host\'s memory (32 GiB); the ARC would starve the system and the VMs. Fix: set arcMax well below 32 GiB (half of it is ZFS\'s own default).',
    ]);
  });

  it('refuses an ARC min above the ARC max', () => {
    const { lab, nas } = zfsLab();
    new ZfsSettings(nas, 'zfs', { arcMax: Size.gibibytes(4), arcMin: Size.gibibytes(8) });
    expect(errorsOf(lab)).toEqual(['testlab/nas/zfs: arcMin (8 GiB) is above arcMax (4 GiB). Fix: make arcMin at most arcMax.']);
  });

  it('refuses a second ZfsSettings on one host', () => {
    const { lab, nas } = zfsLab();
    new ZfsSettings(nas, 'zfs');
    new ZfsSettings(nas, 'more');
    expect(errorsOf(lab)).toEqual(['testlab/nas/more: nas already has ZFS settings (testlab/nas/zfs). Fix: keep one ZfsSettings per host.']);
  });
});

describe('snapshot templates', () => {
  it('refuses a dataset using a template the host does not define', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    new SnapshotPolicy(nas, 'production', { hourly: 36 });
    tank.addDataset('vms').snapshot('prodution');
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/vms: tank/vms uses the snapshot template "prodution", which nas does not define. ' +
        "Fix: define it with new SnapshotPolicy(host, 'prodution', { … }), or use one of production.",
    ]);
  });

  it('refuses a policy of another host', () => {
    const { lab, nas } = zfsLab();
    const other = vmHost(lab, 'other', '10.0.0.6');
    const elsewhere = new SnapshotPolicy(other, 'production', { daily: 7 });
    raidzPool(nas, testDisks().hdds).snapshot(elsewhere);
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank: tank uses the snapshot template production of other, but its sanoid runs on nas. Fix: define the policy on nas (new SnapshotPolicy(nas, …)).',
    ]);
  });

  it('accepts a template named by string when the host defines it', () => {
    const { lab, nas } = zfsLab();
    new SnapshotPolicy(nas, 'production', { hourly: 36 });
    raidzPool(nas, testDisks().hdds).snapshot('production', { recursive: true });
    expect(errorsOf(lab)).toEqual([]);
  });
});

describe('replication', () => {
  it('refuses a target on a pool the target host does not have', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    new ZfsReplication(nas, 'offsite', { source: tank, target: 'backup/tank' });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/offsite: replication target backup/tank is on pool backup, which nas does not have. Fix: replicate into one of its pools (tank).',
    ]);
  });

  it('refuses a target that is a dataset of the model (syncoid would not overwrite it)', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    const backup = tank.addDataset('backup');
    const data = tank.addDataset('data');
    new ZfsReplication(nas, 'copy', { source: data, target: backup.datasetName });
    expect(errorsOf(lab).join('\n')).toMatch(/^testlab\/nas\/copy: replication target tank\/backup is testlab\/nas\/tank\/backup, a dataset of the model.*Fix: replicate into a name under it/);
  });

  it('refuses a target inside its source', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    tank.replicateTo(tank.addDataset('copies'));
    expect(errorsOf(lab)).toEqual(['testlab/nas/tank/replicate-to-tank-copies-tank: replication target tank/copies/tank overlaps its source tank. Fix: replicate into another pool or a dataset outside the source.']);
  });

  it('refuses a replication to another host without an SSH key', () => {
    const { lab, nas } = zfsLab();
    const backupHost = vmHost(lab, 'backup', '10.0.0.7');
    const { hdds } = testDisks();
    const vault = new ZfsPool(backupHost, 'vault');
    vault.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    raidzPool(nas, hdds).replicateTo(vault);
    expect(errorsOf(lab)).toEqual([
      "testlab/nas/tank/replicate-to-vault-tank: replication to backup goes over SSH but has no sshKey. Fix: give sshKey: Secret.fromFile('/var/lib/syncoid/.ssh/id_ed25519') (a key the target's sshUser accepts).",
    ]);
  });

  it('accepts a replication over SSH with a key', () => {
    const { lab, nas } = zfsLab();
    const backupHost = vmHost(lab, 'backup', '10.0.0.7');
    const vault = new ZfsPool(backupHost, 'vault');
    vault.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    const r = raidzPool(nas, testDisks().hdds).replicateTo(vault, { sshKey: Secret.fromFile('/var/lib/syncoid/id_ed25519') });
    expect(errorsOf(lab)).toEqual([]);
    expect(r.syncoidTarget).toBe(`syncoid@backup.lab.example:vault/tank`);
  });
});

describe('replication credentials and modes', () => {
  it('refuses a literal sshKey without repeating it', () => {
    const { lab, nas } = zfsLab();
    const backupHost = vmHost(lab, 'backup', '10.0.0.7');
    const vault = new ZfsPool(backupHost, 'vault');
    vault.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    raidzPool(nas, testDisks().hdds).replicateTo(vault, { sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nhunter2' as unknown as Secret });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      "testlab/nas/tank/replicate-to-vault-tank: the sshKey of the replication is a literal string, not a secret reference; a private key given as a value would be copied into the world-readable Nix store. Fix: give the key's place on the source host: Secret.fromFile('/var/lib/syncoid/.ssh/id_ed25519') or Secret.fromSops({ name: 'syncoid-key' }).",
    ]);
  });

  it('refuses a literal sshKey on a local replication too, where it used to be ignored', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    const backup = new ZfsPool(nas, 'backup');
    backup.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    tank.replicateTo(backup, { sshKey: 'hunter2' as unknown as Secret });
    const errors = errorsOf(lab);
    expect(errors).toEqual([expect.stringMatching(/^testlab\/nas\/tank\/replicate-to-backup-tank: the sshKey of the replication is a literal string, not a secret reference/)]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses sshKey and sshUser on a local replication, which would ignore them', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    const backup = new ZfsPool(nas, 'backup');
    backup.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    tank.replicateTo(backup, { sshKey: Secret.fromFile('/var/lib/syncoid/id_ed25519'), sshUser: 'syncoid' });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/replicate-to-backup-tank: the replication stays on nas, so syncoid logs in nowhere and would ignore sshKey. Fix: remove sshKey, or give targetHost to replicate to another host over SSH.',
      'testlab/nas/tank/replicate-to-backup-tank: the replication stays on nas, so syncoid logs in nowhere and would ignore sshUser. Fix: remove sshUser, or give targetHost to replicate to another host over SSH.',
    ]);
  });
});

describe('circular replication', () => {
  /** nas:tank → backup:vault/tank and backup:vault → nas:tank/from-backup: each copies the other's copies. */
  function twoHostsReplicatingEachOther(recursive = true) {
    const { lab, nas } = zfsLab();
    const backupHost = vmHost(lab, 'backup', '10.0.0.7');
    const vault = new ZfsPool(backupHost, 'vault');
    vault.addDataVdev({ layout: VdevLayout.MIRROR, devices: testDisks('B').hdds.slice(0, 2) });
    const tank = raidzPool(nas, testDisks().hdds);
    const sshKey = Secret.fromFile('/var/lib/syncoid/id_ed25519');
    tank.replicateTo(vault, { sshKey, recursive });
    vault.replicateTo(tank, { sshKey, name: 'from-backup' });
    return lab;
  }

  it('refuses A → B → A with recursive replications, naming the cycle on both', () => {
    const errors = errorsOf(twoHostsReplicatingEachOther());
    expect(errors).toEqual([
      "testlab/backup/vault/replicate-to-tank-from-backup: the replication copies into itself through another replication: testlab/backup/vault/replicate-to-tank-from-backup (backup:vault → nas:tank/from-backup, recursive), then testlab/nas/tank/replicate-to-vault-tank (nas:tank → backup:vault/tank, recursive); every run copies the copies again, without end. Fix: break the cycle: give one of them recursive: false, or replicate into a dataset outside the other one's source.",
      "testlab/nas/tank/replicate-to-vault-tank: the replication copies into itself through another replication: testlab/nas/tank/replicate-to-vault-tank (nas:tank → backup:vault/tank, recursive), then testlab/backup/vault/replicate-to-tank-from-backup (backup:vault → nas:tank/from-backup, recursive); every run copies the copies again, without end. Fix: break the cycle: give one of them recursive: false, or replicate into a dataset outside the other one's source.",
    ]);
  });

  it('accepts the same pair when one side copies only its own dataset (recursive: false)', () => {
    expect(errorsOf(twoHostsReplicatingEachOther(false))).toEqual([]);
  });
});

describe('file systems and names', () => {
  it('refuses a dataset at / while the hardware profile declares the root file system', () => {
    const { lab, nas } = zfsLab();
    raidzPool(nas, testDisks().hdds, 3).addDataset('root', { mountpoint: '/' });
    expect(errorsOf(lab)).toEqual([
      "testlab/nas/tank: tank/root is mounted at / but the hardware profile of nas also declares the root file system (/dev/disk/by-label/nixos). Fix: set rootFileSystem: false in the host's HardwareProfile.bareMetal(...).",
    ]);
  });

  it('refuses two datasets with one storage id', () => {
    const { lab, nas } = zfsLab();
    const tank = raidzPool(nas, testDisks().hdds);
    tank.addDataset('vms');
    tank.addDataset('other', { storageId: 'tank-vms' });
    expect(errorsOf(lab)).toEqual(['testlab/nas/tank/other: storage id tank-vms is also the storage id of testlab/nas/tank/vms. Fix: give one of them another storageId.']);
  });

  it('refuses a pool name zpool would read as a keyword', () => {
    const { lab, nas } = zfsLab();
    raidzPool(nas, testDisks().hdds);
    const bad = new ZfsPool(nas, 'mirror');
    bad.addDataVdev({ layout: VdevLayout.STRIPE, devices: [testDisks('X').hdds[0]] });
    expect(errorsOf(lab).join('\n')).toMatch(/^testlab\/nas\/mirror: pool name "mirror" is not a ZFS pool name\. Fix:/);
  });

  it('refuses a dataset name with a path in it', () => {
    const { lab, nas } = zfsLab();
    raidzPool(nas, testDisks().hdds).addDataset('..');
    expect(errorsOf(lab).join('\n')).toMatch(/dataset name "\.\." is not one ZFS name segment\. Fix:/);
  });
});

describe('warnings', () => {
  it('warns when the special vdev is small for the pool, stating the rule of thumb', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds, 6);
    tank.addSpecialVdev({ devices: ssds.map((s) => s.addPartition({ size: Size.gigabytes(100) })), smallBlocks: Size.kibibytes(32) });
    const warnings = warningsOf(lab);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^testlab\/nas\/tank\/special: the special vdev \(93\.1 GiB\) is 0\.5 % of the data capacity \(18\.2 TiB\), below the rule of thumb \(with special_small_blocks set, plan at least 2 % of the data: 372\.5 GiB\).*Fix:/,
    );
  });

  it('uses the metadata rule (0.3 %) without small blocks', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    const tank = raidzPool(nas, hdds, 6);
    tank.addSpecialVdev({ devices: ssds.map((s) => s.addPartition({ size: Size.gigabytes(100) })) });
    expect(warningsOf(lab)).toEqual([]);
    const tiny = raidzPool(vmHost(lab, 'other', '10.0.0.6'), testDisks('B').hdds, 6);
    tiny.addSpecialVdev({ devices: testDisks('B').ssds.map((s) => s.addPartition({ size: Size.gigabytes(10) })) });
    expect(warningsOf(lab).join('\n')).toContain('below the rule of thumb (metadata alone takes about 0.3 % of the data');
  });

  it('says once per pool that the L2ARC is not mirrored', () => {
    const { lab, nas } = zfsLab();
    const { hdds, ssds } = testDisks();
    raidzPool(nas, hdds).addCacheVdev({ devices: ssds });
    expect(warningsOf(lab)).toEqual([
      'testlab/nas/tank/cache: the L2ARC is not mirrored (ZFS stripes cache devices); losing a cache device loses only cached copies, never data. Fix: nothing to do: this is how L2ARC works (said once per pool); acknowledge it to silence it. [homelab-cdk:l2arc-unmirrored]',
    ]);
  });
});

describe('hardware profiles', () => {
  it('lets a root pool replace the profile file systems', () => {
    const { lab } = zfsLab();
    const host = vmHost(lab, 'rooted', '10.0.0.9', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', rootFileSystem: false, bootFileSystem: false }) });
    const nvme = Disk.byId('/dev/disk/by-id/nvme-TEST_1TB', { size: Size.terabytes(1) });
    nvme.addPartition({ size: Size.gibibytes(1), type: PartitionType.EFI_SYSTEM });
    const rpool = new ZfsPool(host, 'rpool', { mountpoint: 'none' });
    rpool.addDataVdev({ layout: VdevLayout.STRIPE, devices: [nvme.addPartition()] });
    rpool.addDataset('root', { mountpoint: '/' });
    expect(errorsOf(lab).filter((e) => e.startsWith('testlab/rooted'))).toEqual([]);
  });
});

/** nas with tank (special vdev, 32K small blocks) as a Proxmox host whose storage `vmdata` is tank/vms/vmdata. */
function zvolLab() {
  const { lab, nas } = zfsLab({ addressing: Addressing.STATIC, interfaceName: 'enp3s0' });
  const { hdds, ssds } = testDisks();
  const tank = raidzPool(nas, hdds);
  tank.addSpecialVdev({ devices: ssds, smallBlocks: Size.kibibytes(32) });
  const policy = new SnapshotPolicy(nas, 'production', { hourly: 24 });
  const vms = tank.addDataset('vms');
  const vmdata = vms.addDataset('vmdata', { storageId: 'vmdata' });
  const proxmox = new ProxmoxHost(nas, 'proxmox');
  proxmox.addStorage('vmdata', { backing: StorageBacking.zfs(vmdata) });
  return { lab, nas, tank, vms, vmdata, policy, proxmox };
}

describe('datasets that hold the VM disks of a Proxmox ZFS storage', () => {
  it('knows the zvols live under the dataset that backs the storage, not under its parent', () => {
    const { lab, vms, vmdata, tank } = zvolLab();
    expect(errorsOf(lab)).toEqual([]);
    expect(vmdata.holdsVolumes).toBe(true);
    expect(vmdata.volumeUses.map((u) => [u.description, u.zvols])).toEqual([['the Proxmox storage vmdata', true]]);
    expect([tank.holdsVolumes, vms.holdsVolumes]).toEqual([false, false]);
  });

  it('snapshots them with their children by default (sanoid recursive = true)', () => {
    const { vmdata, vms, policy } = zvolLab();
    vmdata.snapshot(policy);
    vms.snapshot(policy);
    expect(vmdata.snapshots.map((a) => a.recursive)).toEqual([true]);
    expect(vms.snapshots.map((a) => a.recursive)).toEqual([false]);
    vmdata.snapshot(policy, { recursive: 'zfs' });
    expect(vmdata.snapshots.map((a) => a.recursive)).toEqual([true, 'zfs']);
  });

  it('refuses recursive: false on them: sanoid would snapshot none of the disks', () => {
    const { lab, vmdata, policy } = zvolLab();
    vmdata.snapshot(policy, { recursive: false });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/vms/vmdata: tank/vms/vmdata holds volumes of the Proxmox storage vmdata as its children, but its snapshot policy production has recursive: false, so sanoid snapshots only the dataset and none of them. ' +
        'Fix: leave recursive out (true for a dataset that holds volumes), or set recursive: "zfs" for one atomic snapshot of all of them.',
    ]);
  });

  it('keeps special_small_blocks off them (0), and gives the file systems beside and under them the pool threshold', () => {
    const { vmdata, vms, tank } = zvolLab();
    const files = vmdata.addDataset('files');
    expect(tank.zfsOptions.specialSmallBlocks?.toString()).toBe('32 KiB');
    expect(vms.zfsOptions.specialSmallBlocks).toBeUndefined(); // inherited from tank
    expect(vmdata.effectiveSpecialSmallBlocks.isZero()).toBe(true);
    expect(vmdata.zfsOptions.specialSmallBlocks?.isZero()).toBe(true);
    expect(files.effectiveSpecialSmallBlocks.toString()).toBe('32 KiB');
    expect(files.zfsOptions.specialSmallBlocks?.toString()).toBe('32 KiB');
  });

  it('sets 0 on the pool root itself when the pool backs a storage, and the threshold on each file system under it', () => {
    const { lab, nas, tank, vms, proxmox } = zvolLab();
    proxmox.addStorage('tank', { backing: StorageBacking.zfs(tank) });
    expect(errorsOf(lab)).toEqual([]);
    expect(tank.zfsOptions.specialSmallBlocks?.isZero()).toBe(true);
    expect(vms.zfsOptions.specialSmallBlocks?.toString()).toBe('32 KiB');
    expect(nas.node.path).toBe('testlab/nas');
  });

  it('refuses a threshold of their own at or above the 16K volblocksize of the zvols', () => {
    const { lab, tank, proxmox } = zvolLab();
    const big = tank.addDataset('big', { specialSmallBlocks: Size.kibibytes(16) });
    proxmox.addStorage('tank-big', { backing: StorageBacking.zfs(big) });
    tank.addDataset('small', { specialSmallBlocks: Size.kibibytes(8) });
    expect(errorsOf(lab)).toEqual([
      'testlab/nas/tank/big: special_small_blocks (16 KiB) of tank/big is not below the volblocksize (16 KiB) of the zvols the Proxmox storage tank-big creates under it, so every VM block would land on the special vdev and fill it. ' +
        'Fix: leave specialSmallBlocks out (0 where zvols live), or set it below 16 KiB.',
    ]);
  });

  it('treats the parent of a replica of such a dataset as holding them too (the zvols arrive under it)', () => {
    const { lab, tank, vmdata, policy } = zvolLab();
    const backup = tank.addDataset('backup', { mountpoint: 'none' });
    vmdata.replicateTo(backup);
    backup.snapshot(policy);
    expect(errorsOf(lab)).toEqual([]);
    expect(backup.volumeUses.map((u) => u.description)).toEqual(['the replication tank-vms-vmdata-to-tank-backup-vmdata (copies of the volumes of tank/vms/vmdata)']);
    expect(backup.zfsOptions.specialSmallBlocks?.isZero()).toBe(true);
    expect(backup.snapshots[0].recursive).toBe(true);
    // a replica of datasets without volumes changes nothing
    const other = tank.addDataset('other', { mountpoint: 'none' });
    tank.addDataset('plain').replicateTo(other);
    expect(other.holdsVolumes).toBe(false);
  });
});
