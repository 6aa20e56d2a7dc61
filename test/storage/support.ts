/** A small lab with one ZFS host, for the storage tests. */
import { Disk, HardwareProfile, Homelab, Host, HostProps, Size, validateLab, VdevLayout, ZfsPool } from '../../lib';
import { smallLab } from '../support/labs';

/** Four 4 TB HDDs and two 1 TB SSDs with by-id names, made fresh for each lab. */
export function testDisks(prefix = 'T') {
  const hdds = [1, 2, 3, 4, 5, 6].map((n) => Disk.byId(`/dev/disk/by-id/ata-TEST_HDD_4TB_${prefix}${n}`, { size: Size.terabytes(4) }));
  const ssds = [1, 2].map((n) => Disk.byId(`/dev/disk/by-id/ata-TEST_SSD_1TB_${prefix}${n}`, { size: Size.terabytes(1) }));
  return { hdds, ssds };
}

/** A lab with a bare-metal host `nas` (32 GiB RAM) whose root is not on ZFS, with `host` overrides. */
export function zfsLab(host: Partial<HostProps> = {}): { lab: Homelab; nas: Host } {
  const { lab } = smallLab();
  const nas = new Host(lab, 'nas', {
    hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }),
    ipAddress: '10.0.0.5',
    macAddress: 'a8:a1:59:00:00:05',
    memory: Size.gibibytes(32),
    ...host,
  });
  return { lab, nas };
}

/** A raidz1 pool `tank` of the first `n` HDDs. */
export function raidzPool(nas: Host, hdds: Disk[], n = 4): ZfsPool {
  const tank = new ZfsPool(nas, 'tank');
  tank.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: hdds.slice(0, n) });
  return tank;
}

/** The errors of a lab as `path: message` lines. */
export function errorsOf(lab: Homelab): string[] {
  return validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

/** The warnings of a lab as `path: message` lines. */
export function warningsOf(lab: Homelab): string[] {
  return validateLab(lab).warnings.map((f) => `${f.path}: ${f.message}`);
}
