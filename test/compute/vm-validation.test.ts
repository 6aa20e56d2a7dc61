import { describe, expect, it } from 'vitest';
import {
  Addressing,
  memoryBudget,
  Bios,
  BootSource,
  HardwareProfile,
  Host,
  ImageKind,
  OsType,
  ProxmoxHost,
  ProxmoxStack,
  ProxmoxCluster,
  ProxmoxVm,
  Secret,
  Size,
  StateBackend,
  StorageBacking,
  TpmVersion,
  validateLab,
} from '../../lib/internal';
import { vmHost } from '../support/labs';
import { errorsOf, only, plainVm, proxmoxLab, TestMemoryReservation, TestZfsDataset, warningsOf } from '../support/compute';

describe('a valid Proxmox lab', () => {
  it('has no errors and no warnings', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110);
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: vmHost(t.lab, 'node1', '10.0.0.21'), disks: [{ storage: t.tank, size: Size.gibibytes(8) }] });
    expect(errorsOf(t.lab)).toEqual([]);
    expect(warningsOf(t.lab)).toEqual([]);
  });
});

describe('the guest agent', () => {
  it('refuses an agent timeout that is not a Go duration', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { guestAgent: true, guestAgentTimeout: '5 minutes' });
    expect(only(errorsOf(t.lab), /guestAgentTimeout/)).toBe('testlab/web: guestAgentTimeout "5 minutes" is not a Go duration. Fix: give a duration such as "1m" or "90s".');
  });
});

describe('images', () => {
  it('refuses a checksum of the wrong length for its algorithm', () => {
    const t = proxmoxLab();
    t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2', checksum: { algorithm: 'sha512', value: 'ab'.repeat(32) } });
    expect(only(errorsOf(t.lab), /checksum/)).toMatch(/^testlab\/pve\/proxmox\/local\/debian: checksum has 64 hex digits, but a sha512 digest has 128\. Fix: give the digest/);
  });

  it('refuses a checksum on a file that is not downloaded', () => {
    const t = proxmoxLab();
    t.local.addImage('win', { kind: ImageKind.ISO, fileName: 'win.iso', checksum: { algorithm: 'sha256', value: 'ab'.repeat(32) } });
    expect(only(errorsOf(t.lab), /checksum/)).toMatch(/^testlab\/pve\/proxmox\/local\/win: the image has a checksum but no url/);
  });

  const windowsVm = (t: ReturnType<typeof proxmoxLab>, drivers?: ReturnType<typeof t.local.addImage>) =>
    new ProxmoxVm(t.lab, 'win', {
      hypervisor: t.proxmox,
      vmid: 100,
      disks: [{ storage: t.tank, size: Size.gibibytes(64) }],
      bios: Bios.OVMF,
      efiDisk: { storage: t.tank },
      tpm: { storage: t.tank },
      osType: OsType.WINDOWS_11,
      boot: BootSource.iso(t.local.addImage('installer', { kind: ImageKind.ISO, fileName: 'win11.iso' }), { drivers }),
    });

  it('warns that Windows setup sees no virtio disk without the virtio-win drivers', () => {
    const t = proxmoxLab();
    windowsVm(t);
    expect(only(warningsOf(t.lab), /virtio/)).toMatch(/^testlab\/win: Windows setup has no driver for the virtio disk scsi0, so it finds no disk to install to\. Fix: give the virtio-win ISO: BootSource\.iso\(installer, \{ drivers: .*\[homelab-cdk:windows-without-virtio-drivers\]$/);
    const u = proxmoxLab();
    windowsVm(u, u.local.addImage('virtio-win', { kind: ImageKind.ISO, url: 'https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso' }));
    expect(warningsOf(u.lab)).toEqual([]);
    expect(errorsOf(u.lab)).toEqual([]);
  });

  it('refuses a drivers image that is not an ISO', () => {
    const t = proxmoxLab();
    windowsVm(t, t.local.addImage('drivers', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/drivers.qcow2' }));
    expect(only(errorsOf(t.lab), /drivers/)).toMatch(/^testlab\/win: the drivers image testlab\/pve\/proxmox\/local\/drivers is a disk image, not an ISO\. Fix: give an ISO/);
  });
});

describe('VM identity', () => {
  it('refuses two VMs with one vmid, naming the first', () => {
    const t = proxmoxLab();
    plainVm(t, 'a', 110);
    plainVm(t, 'b', 110);
    expect(only(errorsOf(t.lab), /vmid/)).toBe('testlab/b: vmid 110 is also the vmid of testlab/a. Fix: give each VM its own vmid.');
  });

  it('refuses two VMs with one name', () => {
    const t = proxmoxLab();
    plainVm(t, 'a', 110, { name: 'web' });
    plainVm(t, 'b', 111, { name: 'web' });
    expect(only(errorsOf(t.lab), /VM name/)).toBe('testlab/b: VM name web is also the name of testlab/a. Fix: give each VM its own name.');
  });

  it.each([99, 1_000_000_000, 150.5])('refuses the vmid %s, outside 100–999999999', (vmid) => {
    const t = proxmoxLab();
    plainVm(t, 'a', vmid);
    expect(only(errorsOf(t.lab), /vmid/)).toMatch(/^testlab\/a: vmid .* is outside 100–999999999\. Fix: give a whole number from 100 to 999999999/);
  });

  it('accepts the bounds of the vmid range', () => {
    const t = proxmoxLab();
    plainVm(t, 'low', 100);
    plainVm(t, 'high', 999_999_999);
    expect(errorsOf(t.lab)).toEqual([]);
  });
});

describe('disks and storages', () => {
  it('refuses a disk on a storage that does not exist on the VM\'s host', () => {
    const t = proxmoxLab();
    const other = new Host(t.lab, 'other', {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'eno1' }),
      ipAddress: '10.0.0.3',
      macAddress: 'a8:a1:59:00:00:03',
      addressing: Addressing.STATIC,
    });
    const otherProxmox = new ProxmoxHost(other, 'proxmox');
    const elsewhere = otherProxmox.addStorage('fast', { backing: StorageBacking.directory('/srv/fast') });
    plainVm(t, 'web', 110, { disks: [{ storage: elsewhere, size: Size.gibibytes(8) }] });
    expect(only(errorsOf(t.lab), /disk scsi0/)).toBe(
      'testlab/web: disk scsi0 is on storage fast of other, which does not exist on pve. Fix: use a storage of pve (local, tank).',
    );
  });

  it('refuses a disk that is not a whole number of GiB', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { disks: [{ storage: t.tank, size: Size.gigabytes(32) }] });
    expect(only(errorsOf(t.lab), /disk scsi0/)).toMatch(/^testlab\/web: disk scsi0 is 29\.8 GiB, not a whole number of GiB\. Fix: give the size in whole GiB/);
  });

  it('refuses a qcow2 disk on a ZFS storage', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { disks: [{ storage: t.tank, size: Size.gibibytes(8), format: 'qcow2' as never }] });
    expect(only(errorsOf(t.lab), /qcow2/)).toMatch(/^testlab\/web: disk scsi0 is qcow2 on the zfspool storage tank, which holds raw disks only\. Fix:/);
  });

  it('refuses an ISO on a ZFS storage, which cannot hold ISO images', () => {
    const t = proxmoxLab();
    t.tank.addImage('debian', { kind: ImageKind.ISO, url: 'https://example.org/debian.iso' });
    expect(only(errorsOf(t.lab), /iso/)).toMatch(/^testlab\/pve\/proxmox\/tank\/debian: storage tank does not hold iso content, so the ISO cannot go there\. Fix:/);
  });

  it('refuses ZFS storage backed by a pool of another host', () => {
    const t = proxmoxLab();
    const other = vmHost(t.lab, 'nas', '10.0.0.30');
    t.proxmox.addStorage('backup', { backing: StorageBacking.zfs(new TestZfsDataset(other, 'pool', 'backup', 'backup')) });
    expect(only(errorsOf(t.lab), /ZFS backing/)).toBe(
      'testlab/pve/proxmox/backup: the ZFS backing testlab/nas/pool is a pool of nas, not of pve. Fix: back the storage with a pool or dataset of pve.',
    );
  });

  it('refuses two storages of a host with one id', () => {
    const t = proxmoxLab();
    t.proxmox.addStorage('tank2', { storageId: 'tank', backing: StorageBacking.directory('/tank') });
    expect(only(errorsOf(t.lab), /storage id/)).toBe('testlab/pve/proxmox/tank2: storage id tank is also the id of testlab/pve/proxmox/tank. Fix: give each storage of a host its own id.');
  });
});

describe('firmware', () => {
  it('refuses OVMF without an EFI disk', () => {
    const t = proxmoxLab();
    plainVm(t, 'uefi', 110, { bios: Bios.OVMF });
    expect(only(errorsOf(t.lab), /EFI/)).toBe(
      'testlab/uefi: the VM uses OVMF (UEFI) but has no EFI disk for its UEFI variables. Fix: add efiDisk: { storage } (type "4m"), or use Bios.SEABIOS.',
    );
  });

  it('refuses Windows 11 without a TPM', () => {
    const t = proxmoxLab();
    plainVm(t, 'win', 100, { bios: Bios.OVMF, efiDisk: { storage: t.tank }, osType: OsType.WINDOWS_11 });
    expect(only(errorsOf(t.lab), /TPM/)).toBe(
      'testlab/win: Windows 11 needs a TPM 2.0, and the VM has none. Fix: add tpm: { storage, version: TpmVersion.V2_0 } (with bios: Bios.OVMF and an efiDisk).',
    );
  });

  it('refuses Windows 11 with a TPM 1.2', () => {
    const t = proxmoxLab();
    plainVm(t, 'win', 100, { bios: Bios.OVMF, efiDisk: { storage: t.tank }, osType: OsType.WINDOWS_11, tpm: { storage: t.tank, version: TpmVersion.V1_2 } });
    expect(only(errorsOf(t.lab), /TPM/)).toMatch(/^testlab\/win: Windows 11 needs a TPM 2\.0, and the VM has a TPM v1\.2\. Fix:/);
  });

  it('accepts Windows 11 with UEFI, an EFI disk and a TPM 2.0', () => {
    const t = proxmoxLab();
    plainVm(t, 'win', 100, { bios: Bios.OVMF, efiDisk: { storage: t.tank }, osType: OsType.WINDOWS_11, tpm: { storage: t.tank } });
    expect(errorsOf(t.lab)).toEqual([]);
  });
});

describe('MAC addresses', () => {
  it('refuses a derived MAC that is not a locally administered unicast address', () => {
    const t = proxmoxLab({ proxmox: { macPrefix: 'bc:24:11' } });
    const vm = plainVm(t, 'web', 110);
    expect(vm.macAddress).toMatch(/^bc:24:11:/);
    expect(only(errorsOf(t.lab), /MAC/)).toBe(
      `testlab/web: the MAC address ${vm.macAddress} derived for NIC 0 is not a locally administered unicast address, so it may clash with a vendor's. ` +
        'Fix: give testlab/pve/proxmox a macPrefix whose first octet ends in 2, 6, a or e (such as "02"), or set the NIC\'s macAddress.',
    );
  });

  it('checks the MAC a NixOS guest derives under the prefix like any derived one', () => {
    const t = proxmoxLab({ proxmox: { macPrefix: 'bc:24:11' } });
    const vm = new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: vmHost(t.lab, 'node1', '10.0.0.21') });
    expect(vm.macAddress).toMatch(/^bc:24:11:/);
    expect(only(errorsOf(t.lab), /MAC/)).toMatch(/^testlab\/node1-vm: the MAC address bc:24:11:.* derived for NIC 0 is not a locally administered unicast address/);
  });

  it('accepts a given vendor MAC, and derived MACs under a locally administered prefix', () => {
    const t = proxmoxLab({ proxmox: { macPrefix: '02:10' } });
    const derived = plainVm(t, 'web', 110);
    plainVm(t, 'migrated', 111, { nics: [{ macAddress: 'bc:24:11:aa:bb:cc' }] });
    expect(derived.macAddress).toMatch(/^02:10:/);
    expect(errorsOf(t.lab)).toEqual([]);
  });

  it('refuses two NICs with one MAC', () => {
    const t = proxmoxLab();
    plainVm(t, 'a', 110, { nics: [{ macAddress: '02:00:00:00:00:aa' }] });
    plainVm(t, 'b', 111, { nics: [{ macAddress: '02:00:00:00:00:AA' }] });
    expect(only(errorsOf(t.lab), /MAC/)).toBe(
      'testlab/b: NIC 0 has the MAC address 02:00:00:00:00:aa of NIC 0 of testlab/a. Fix: give each NIC its own MAC address (or leave it out to have one derived).',
    );
  });
});

describe('the host\'s memory and CPU', () => {
  it('warns when the VMs and the ARC maximum exceed the host\'s RAM, and fails in strict mode', () => {
    const t = proxmoxLab();
    new TestMemoryReservation(t.pve, 'arc', Size.gibibytes(16));
    plainVm(t, 'a', 110, { memory: Size.gibibytes(12) });
    plainVm(t, 'b', 111, { memory: Size.gibibytes(8) });
    const warning = 'testlab/pve/proxmox: pve commits 36 GiB (VMs 20 GiB + ZFS ARC maximum 16 GiB) but has 32 GiB of RAM. Fix: give the VMs less memory, move some to another host, or lower the reservations (such as the ZFS ARC maximum). [homelab-cdk:memory-overcommit]';
    expect(errorsOf(t.lab)).toEqual([]);
    expect(warningsOf(t.lab)).toEqual([warning]);
    expect(validateLab(t.lab, { strict: true }).errors.map((f) => `${f.path}: ${f.message}`)).toEqual([warning]);
  });

  it('does not count templates, which Proxmox never starts', () => {
    const t = proxmoxLab();
    new TestMemoryReservation(t.pve, 'arc', Size.gibibytes(16));
    plainVm(t, 'a', 110, { memory: Size.gibibytes(16) });
    plainVm(t, 'golden', 9000, { memory: Size.gibibytes(8), template: true, started: false });
    expect(memoryBudget(t.proxmox).vms.toGibibytes()).toBe(16);
    expect(warningsOf(t.lab)).toEqual([]);
  });

  it('stays quiet when the budget fits exactly', () => {
    const t = proxmoxLab();
    new TestMemoryReservation(t.pve, 'arc', Size.gibibytes(16));
    plainVm(t, 'a', 110, { memory: Size.gibibytes(16) });
    expect(warningsOf(t.lab)).toEqual([]);
  });

  // qemu-server's config_to_command dies with "MAX <threads> vcpus allowed per VM on this node"
  // when sockets × cores exceed the node's logical CPUs: the VM would never start.
  it('refuses a VM with more cores than the host has threads, which Proxmox refuses to start', () => {
    const t = proxmoxLab();
    plainVm(t, 'big', 110, { cores: 12 });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/big: the VM has 12 cores but pve has 8 CPU threads; Proxmox refuses to start it ("MAX 8 vcpus allowed per VM on this node"). Fix: give it at most 8 cores, or correct cpuThreads on pve if it has more.',
    ]);
    expect(warningsOf(t.lab)).toEqual([]);
  });

  it('accepts a VM with as many cores as the host has threads', () => {
    const t = proxmoxLab();
    plainVm(t, 'big', 110, { cores: 8 });
    expect(errorsOf(t.lab)).toEqual([]);
  });
});

describe('NixOS VMs', () => {
  it('refuses a guest Host without the VM guest hardware profile', () => {
    const t = proxmoxLab();
    const metal = new Host(t.lab, 'metal', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.40', macAddress: '02:00:00:00:00:40' });
    new ProxmoxVm(t.lab, 'metal-vm', { hypervisor: t.proxmox, vmid: 140, guest: metal });
    expect(only(errorsOf(t.lab), /hardware profile/)).toBe(
      'testlab/metal-vm: guest metal has the bare-metal hardware profile, not the VM guest one. Fix: create the Host with hardware: HardwareProfile.qemuGuest().',
    );
  });

  it('refuses memory stated differently on the VM and its guest Host', () => {
    const t = proxmoxLab();
    const node = vmHost(t.lab, 'node1', '10.0.0.21', { memory: Size.gibibytes(4) });
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: node, memory: Size.gibibytes(2) });
    expect(only(errorsOf(t.lab), /memory/)).toMatch(/^testlab\/node1-vm: the VM has 2 GiB of memory but its guest node1 says 4 GiB\. Fix: state the memory once/);
  });

  it('refuses a NixOS VM given its own address', () => {
    const t = proxmoxLab();
    const node = vmHost(t.lab, 'node1', '10.0.0.21');
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: node, ipAddress: '10.0.0.22' });
    expect(only(errorsOf(t.lab), /ipAddress/)).toBe("testlab/node1-vm: a NixOS VM has its Host's address (10.0.0.21), but ipAddress is given too. Fix: leave ipAddress out: the VM's address is its Host's.");
  });
});

describe('boot sources and cloud-init', () => {
  it('refuses a cloud image for a VM without a disk to import it into', () => {
    const t = proxmoxLab();
    const image = t.local.addImage('debian', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/debian-13.qcow2' });
    new ProxmoxVm(t.lab, 'web', { hypervisor: t.proxmox, vmid: 110, boot: BootSource.cloudImage(image) });
    expect(only(errorsOf(t.lab), /cloud image/)).toBe('testlab/web: the cloud image needs a disk to be imported into, and the VM has none. Fix: add a disk (the image goes into the first one).');
  });

  it('refuses a disk image without the extension Proxmox requires for imports', () => {
    const t = proxmoxLab();
    t.local.addImage('ubuntu', { kind: ImageKind.DISK_IMAGE, url: 'https://example.org/noble-server-cloudimg-amd64.img' });
    expect(only(errorsOf(t.lab), /extension|\.qcow2/)).toMatch(/^testlab\/pve\/proxmox\/local\/ubuntu: disk image "noble-server-cloudimg-amd64\.img" does not end in \.qcow2, \.raw or \.vmdk.*Fix: set fileName/);
  });

  it('refuses an image download URL carrying a password, never echoing it', () => {
    const t = proxmoxLab();
    t.local.addImage('debian', { kind: ImageKind.ISO, url: 'https://max:hunter2@files.lab.example/debian-12.iso' });
    const errors = errorsOf(t.lab);
    expect(errors).toEqual([
      "testlab/pve/proxmox/local/debian: the download url carries a password (user:password@), which would be written into the stack's Terraform JSON. Fix: download from a URL that needs no credentials (a signed, expiring link is still a credential), or upload the file to the storage yourself and give only fileName.",
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses an image with neither a URL nor a file name', () => {
    const t = proxmoxLab();
    t.local.addImage('mystery', { kind: ImageKind.ISO });
    expect(only(errorsOf(t.lab), /neither/)).toBe(
      'testlab/pve/proxmox/local/mystery: the image has neither a url nor a fileName. Fix: give the url Terraform downloads it from, or the fileName of a file already on the storage.',
    );
  });

  it('warns about a template that is to be kept running', () => {
    const t = proxmoxLab();
    plainVm(t, 'base', 9000, { template: true });
    expect(warningsOf(t.lab)).toEqual(['testlab/base: a template VM is never running, but started is true. Fix: set started: false on templates. [homelab-cdk:started-template]']);
  });

  it('refuses a clone of a VM that is not a template', () => {
    const t = proxmoxLab();
    const base = plainVm(t, 'base', 9000);
    plainVm(t, 'web', 110, { boot: BootSource.clone(base) });
    expect(only(errorsOf(t.lab), /template/)).toBe('testlab/web: testlab/base is cloned but is not a template. Fix: set template: true on it.');
  });

  /** A second Proxmox host, pve2, with a ZFS storage `tank2`. */
  const secondHost = (t: ReturnType<typeof proxmoxLab>) => {
    const pve2 = new Host(t.lab, 'pve2', {
      hardware: HardwareProfile.bareMetal({ cpuVendor: 'intel', interfaceName: 'eno1' }),
      ipAddress: '10.0.0.3',
      macAddress: 'a8:a1:59:00:00:03',
      addressing: Addressing.STATIC,
    });
    const proxmox = new ProxmoxHost(pve2, 'proxmox');
    const tank = proxmox.addStorage('tank2', { backing: StorageBacking.zfs(new TestZfsDataset(pve2, 'tank-vms', 'tank/vms', 'tank2')) });
    return { proxmox, tank };
  };

  // qm clone: "--target: Target node. Only allowed if the original VM is on shared storage."
  it('refuses a clone of a template on another node of its cluster whose disks are on local storage', () => {
    const t = proxmoxLab();
    const template = plainVm(t, 'base', 9000, { template: true, started: false });
    const pve2 = secondHost(t);
    new ProxmoxCluster(t.lab, 'pvec', { members: [t.proxmox, pve2.proxmox] });
    new ProxmoxVm(t.lab, 'web', { hypervisor: pve2.proxmox, vmid: 110, disks: [{ storage: pve2.tank, size: Size.gibibytes(16) }], boot: BootSource.clone(template) });
    expect(only(errorsOf(t.lab), /clones onto another node/)).toBe(
      'testlab/web: the template testlab/base is on pve and the VM on pve2; Proxmox clones onto another node only from storage both reach, and the template\'s disks are on tank (zfspool), local to pve. Fix: clone a template on pve2 (make one there), or run the VM on pve.',
    );
  });

  it('refuses a clone of a template on a separate Proxmox host, whatever its storage', () => {
    const t = proxmoxLab();
    const template = plainVm(t, 'base', 9000, { template: true, started: false });
    const pve2 = secondHost(t);
    new ProxmoxVm(t.lab, 'web', { hypervisor: pve2.proxmox, vmid: 110, disks: [{ storage: pve2.tank, size: Size.gibibytes(16) }], boot: BootSource.clone(template) });
    expect(only(errorsOf(t.lab), /not one Proxmox cluster/)).toBe(
      'testlab/web: the template testlab/base is on pve and the VM on pve2, which are not one Proxmox cluster; Proxmox clones only within a cluster. Fix: clone a template on pve2 (make one there), or make both nodes members of one ProxmoxCluster with the template\'s disks on its shared storage.',
    );
  });

  it('refuses a clone of a template outside the model on another node unless its storage is shared in their cluster', () => {
    const t = proxmoxLab();
    const pve2 = secondHost(t);
    new ProxmoxCluster(t.lab, 'pvec', { members: [t.proxmox, pve2.proxmox] });
    plainVm(t, 'web', 110, { boot: BootSource.cloneExisting(9000, { node: pve2.proxmox }) });
    expect(only(errorsOf(t.lab), /clones onto another node/)).toMatch(/^testlab\/web: the template 9000 is on pve2 and the VM on pve; .* Fix: clone a template on pve, or set sharedStorage: true/);
    const u = proxmoxLab();
    const upve2 = secondHost(u);
    new ProxmoxCluster(u.lab, 'pvec', { members: [u.proxmox, upve2.proxmox] });
    plainVm(u, 'web', 110, { boot: BootSource.cloneExisting(9000, { node: upve2.proxmox, sharedStorage: true }) });
    expect(errorsOf(u.lab)).toEqual([]);
    const v = proxmoxLab();
    plainVm(v, 'web', 110, { boot: BootSource.cloneExisting(9000, { node: secondHost(v).proxmox, sharedStorage: true }) });
    expect(only(errorsOf(v.lab), /not one Proxmox cluster/)).toBe(
      'testlab/web: the template 9000 is on pve2 and the VM on pve, which are not one Proxmox cluster, so no storage is shared between them. Fix: clone a template on pve, or make both nodes members of one ProxmoxCluster.',
    );
  });

  it('refuses a clone in another stack than its template, which Terraform could not order after it', () => {
    const t = proxmoxLab();
    const prod = new ProxmoxStack(t.lab, 'prod');
    const dev = new ProxmoxStack(t.lab, 'dev');
    const template = plainVm(t, 'base', 9000, { template: true, started: false, stack: prod });
    plainVm(t, 'web', 110, { boot: BootSource.clone(template), stack: dev });
    expect(only(errorsOf(t.lab), /Terraform cannot order/)).toBe(
      'testlab/web: the template testlab/base is in stack prod and the clone in dev, so Terraform cannot order the clone after its template. Fix: put the clone in the template\'s stack (stack: prod).',
    );
  });

  it('refuses a cloud-init password that is not a Terraform variable', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { cloudInit: { user: t.admin, password: Secret.fromFile('/run/secrets/pw') } });
    expect(only(errorsOf(t.lab), /password/)).toMatch(/^testlab\/web: the cloud-init password is a file secret, which cannot reach Terraform safely\. Fix: use Secret\.fromTerraformVariable/);
  });
});

describe('cloud-init user data', () => {
  const userDataErrors = (userData: string) => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { cloudInit: { userData } });
    return errorsOf(t.lab);
  };

  it('refuses chpasswd with a password list, naming the place but not the password', () => {
    const errors = userDataErrors('#cloud-config\nchpasswd:\n  expire: false\n  list: |\n    root:hunter2\n');
    expect(errors).toEqual([
      expect.stringMatching(
        /^testlab\/web: the cloud-init user data holds credentials \(chpasswd\.list\), which would be written into the stack's Terraform JSON and onto the snippet storage\. Fix: remove them: log in with ssh_authorized_keys, or give the account with cloudInit\.user and cloudInit\.password: Secret\.fromTerraformVariable/,
      ),
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses chpasswd users with passwords and a user password hash', () => {
    const errors = userDataErrors(
      '#cloud-config\nchpasswd:\n  users:\n    - name: root\n      password: hunter2\n      type: text\nusers:\n  - name: max\n    lock_passwd: false\n    passwd: "$6$salt$hash"\n',
    );
    expect(errors).toEqual([expect.stringContaining('holds credentials (chpasswd.users[0].password, users[0].passwd)')]);
    expect(errors.join('\n')).not.toMatch(/hunter2|\$6\$/);
  });

  it('refuses a private host key and a URL with a password in the user data', () => {
    const errors = userDataErrors(
      '#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    abc\n    -----END OPENSSH PRIVATE KEY-----\nruncmd:\n  - curl -fsS https://max:hunter2@files.lab.example/setup.sh\n',
    );
    expect(errors).toEqual([expect.stringContaining('holds credentials (ssh_keys.ed25519_private, runcmd[0])')]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses a password in user data that is not YAML, by line', () => {
    const errors = userDataErrors('#cloud-config\npassword: hunter2\n  bad: [indent\n');
    expect(errors).toEqual([expect.stringContaining('holds credentials (line 2)')]);
  });

  it('accepts user data with keys only', () => {
    expect(userDataErrors(`#cloud-config\nssh_pwauth: false\nchpasswd:\n  expire: false\nusers:\n  - name: max\n    lock_passwd: true\n    ssh_authorized_keys: ['${'ssh-ed25519 AAAA test'}']\n`)).toEqual([]);
  });
});

describe('cloud-init props ignored without the one they belong to', () => {
  it('refuses a password without a user, which would be ignored', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { cloudInit: { password: Secret.fromTerraformVariable('web_password') } });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/web: cloudInit.password is given without cloudInit.user, so it would be ignored: the password belongs to the account that user sets up. Fix: give cloudInit.user (a lab user), or remove password.',
    ]);
  });

  it('refuses a snippet storage without user data, which would be ignored', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { cloudInit: { user: t.admin, snippetStorage: t.local } });
    expect(errorsOf(t.lab)).toEqual([
      'testlab/web: cloudInit.snippetStorage is given without cloudInit.userData, so it would be ignored: only user data goes there. Fix: remove snippetStorage, or give userData.',
    ]);
  });
});

describe('Terraform stacks', () => {
  it('refuses a VM that names no stack when the lab has several', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod');
    new ProxmoxStack(t.lab, 'dev');
    plainVm(t, 'web', 110);
    expect(only(errorsOf(t.lab), /stacks/)).toBe('testlab/web: the lab has 2 Terraform stacks and the VM names none. Fix: set stack: one of dev, prod.');
  });

  it('refuses an API token from a variable the provider does not read', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { apiToken: Secret.fromEnvironment('PVE_TOKEN') });
    expect(only(errorsOf(t.lab), /token/)).toBe(
      "testlab/prod: the provider reads its API token from PROXMOX_VE_API_TOKEN, not from PVE_TOKEN. Fix: use Secret.fromEnvironment('PROXMOX_VE_API_TOKEN'), or a Terraform variable.",
    );
  });

  it('refuses a literal API token', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { apiToken: 'root@pam!tf=1234' as unknown as Secret });
    expect(only(errorsOf(t.lab), /token/)).toMatch(/^testlab\/prod: apiToken is a literal string, not a secret reference\. Fix:/);
  });

  it('refuses two stacks that share a state file', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { backend: StateBackend.local('../../../lab.tfstate') });
    new ProxmoxStack(t.lab, 'dev', { backend: StateBackend.local('../../../lab.tfstate') });
    expect(only(errorsOf(t.lab), /state/)).toBe('testlab/dev: the stack keeps its state where testlab/prod does. Fix: give each stack its own state path (or leave backend out).');
  });

  it('refuses credentials in a custom backend, naming the setting but not its value', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', {
      backend: StateBackend.custom('s3', { bucket: 'tfstate', key: 'lab/prod.tfstate', region: 'eu-central-1', access_key: 'AKIAEXAMPLE', secret_key: 'hunter2', skip_credentials_validation: true }),
    });
    const errors = errorsOf(t.lab);
    expect(errors).toEqual([
      expect.stringMatching(/^testlab\/prod: the s3 backend's access_key is a credential, which would be written into the stack's Terraform JSON\. Fix: leave it out of StateBackend\.custom .*AWS_SECRET_ACCESS_KEY.*-backend-config/),
      expect.stringMatching(/^testlab\/prod: the s3 backend's secret_key is a credential/),
    ]);
    expect(errors.join('\n')).not.toMatch(/hunter2|AKIAEXAMPLE/);
  });

  it('refuses a backend password and token, and a connection string with a password', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { backend: StateBackend.custom('http', { address: 'https://state.lab.example/prod', username: 'tf', password: 'hunter2' }) });
    new ProxmoxStack(t.lab, 'dev', { backend: StateBackend.custom('pg', { conn_str: 'postgres://tf:hunter2@db.lab.example/terraform' }) });
    new ProxmoxStack(t.lab, 'ci', { backend: StateBackend.custom('remote', { hostname: 'app.terraform.io', token: 'hunter2' }) });
    const errors = errorsOf(t.lab).filter((e) => e.includes('backend'));
    expect(errors).toEqual([
      expect.stringMatching(/^testlab\/ci: the remote backend's token is a credential/),
      expect.stringMatching(/^testlab\/dev: the pg backend's conn_str carries a URL with a password.*PG_CONN_STR/),
      expect.stringMatching(/^testlab\/prod: the http backend's password is a credential.*TF_HTTP_PASSWORD/),
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('accepts a custom backend that takes its credentials from the environment', () => {
    const t = proxmoxLab();
    new ProxmoxStack(t.lab, 'prod', { backend: StateBackend.custom('s3', { bucket: 'tfstate', key: 'lab/prod.tfstate', region: 'eu-central-1', shared_credentials_file: '~/.aws/credentials', kms_key_id: 'alias/tf' }) });
    plainVm(t, 'web', 110);
    expect(errorsOf(t.lab)).toEqual([]);
  });
});

describe('the Proxmox host', () => {
  it('refuses a Proxmox host that takes its address by DHCP', () => {
    const t = proxmoxLab({ host: { addressing: Addressing.DHCP } });
    expect(only(errorsOf(t.lab), /static address/)).toBe(
      'testlab/pve/proxmox: Proxmox VE needs a static address on pve, which uses DHCP. Fix: create the Host with addressing: Addressing.STATIC (and its interfaceName).',
    );
  });

  it('refuses the same port for Cockpit and another service', () => {
    const t = proxmoxLab({ proxmox: { cockpit: { port: 22 } } });
    expect(only(errorsOf(t.lab), /port/)).toMatch(/^testlab\/pve: port 22\/tcp is used by both testlab\/pve \(SSH\) and testlab\/pve\/proxmox \(Cockpit\)\. Fix:/);
  });

  it('refuses a second bridge that claims the host\'s address', () => {
    const t = proxmoxLab();
    t.proxmox.addBridge('vmbr1', { ports: ['eno2'], carriesHostAddress: true });
    expect(only(errorsOf(t.lab), /already carried/)).toMatch(/^testlab\/pve\/proxmox\/vmbr1: the address of pve is already carried by testlab\/pve\/proxmox\/vmbr0 \(vmbr0\); only one interface can hold it\. Fix: /);
  });

  it('refuses a bridge carrying the address without the host\'s interface', () => {
    const t = proxmoxLab({ proxmox: { bridge: { ports: ['eno2'] } } });
    expect(only(errorsOf(t.lab), /unreachable/)).toBe(
      'testlab/pve/proxmox/vmbr0: bridge vmbr0 carries the address of pve but does not bridge its interface eno1, so the host would be unreachable. Fix: add "eno1" to ports, or leave carriesHostAddress off.',
    );
  });
});
