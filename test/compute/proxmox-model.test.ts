import { describe, expect, it } from 'vitest';
import {
  defaultContent,
  deriveVmMac,
  fileNameOfUrl,
  isLocallyAdministeredMac,
  isUnicastMac,
  memoryBudget,
  Network,
  planStacks,
  ProxmoxStack,
  ProxmoxVm,
  Size,
  StorageContent,
  StorageType,
  VmFamily,
} from '../../lib/internal';
import { vmHost } from '../support/labs';
import { errorsOf, plainVm, proxmoxLab, TestMemoryReservation } from '../support/compute';

describe('deriveVmMac', () => {
  it('derives the same locally administered unicast address from the same seed, and another from another', () => {
    const a = deriveVmMac('lab/vm/web/nic0');
    expect(deriveVmMac('lab/vm/web/nic0')).toBe(a);
    expect(deriveVmMac('lab/vm/web/nic1')).not.toBe(a);
    for (let i = 0; i < 200; i++) {
      const mac = deriveVmMac(`seed-${i}`);
      expect(isUnicastMac(mac) && isLocallyAdministeredMac(mac), mac).toBe(true);
    }
  });

  it('puts the prefix in front and keeps the derived rest', () => {
    const plain = deriveVmMac('lab/vm/web/nic0').split(':');
    expect(deriveVmMac('lab/vm/web/nic0', '02:AB').split(':')).toEqual(['02', 'ab', ...plain.slice(2)]);
  });
});

describe('VM addresses', () => {
  it('gives a NixOS VM\'s first NIC its Host\'s MAC, derived or given', () => {
    const t = proxmoxLab();
    const derived = vmHost(t.lab, 'node1', '10.0.0.21');
    const given = vmHost(t.lab, 'node2', '10.0.0.22', { macAddress: '02:AA:00:00:00:22' });
    const vm1 = new ProxmoxVm(t.lab, 'vm1', { hypervisor: t.proxmox, vmid: 201, guest: derived });
    const vm2 = new ProxmoxVm(t.lab, 'vm2', { hypervisor: t.proxmox, vmid: 202, guest: given });
    vm2.attachTo(t.proxmox.addBridge('vmbr1'));
    expect(vm1.macAddress).toBe(derived.macAddress);
    expect(vm2.nics.map((n) => n.macAddress)).toEqual(['02:aa:00:00:00:22', deriveVmMac('testlab/vm/node2/nic1')]);
    expect(vm1.vmName).toBe('node1');
    expect(vm1.ipAddress).toBe('10.0.0.21');
  });

  it('makes a plain VM with an address a device of the network, with its derived MAC', () => {
    const t = proxmoxLab();
    const web = plainVm(t, 'web', 110, { ipAddress: '10.0.0.50' });
    const dynamic = plainVm(t, 'dynamic', 111);
    const endpoints = Network.of(t.lab).endpoints;
    expect(endpoints).toContain(web);
    expect(endpoints).not.toContain(dynamic);
    expect(web.macAddress).toBe(deriveVmMac('testlab/vm/web/nic0'));
    expect(dynamic.ipAddress).toBe('');
  });

  it('reports a plain VM whose address another device has, through the network', () => {
    const t = proxmoxLab();
    plainVm(t, 'web', 110, { ipAddress: '10.0.0.2' });
    expect(errorsOf(t.lab)).toEqual(['testlab/web: IP address 10.0.0.2 is already used by testlab/pve. Fix: give each device its own address.']);
  });
});

describe('memoryBudget', () => {
  it('adds the memory of the host\'s VMs to the reservations in its subtree', () => {
    const t = proxmoxLab();
    new TestMemoryReservation(t.pve, 'arc', Size.gibibytes(8));
    plainVm(t, 'a', 110, { memory: Size.mebibytes(3072) });
    plainVm(t, 'b', 111, { memory: Size.gibibytes(1) });
    const budget = memoryBudget(t.proxmox);
    expect(budget.vms.toGibibytes()).toBe(4);
    expect(budget.reservations.map((r) => r.reservedMemory.toGibibytes())).toEqual([8]);
    expect(budget.committed.toGibibytes()).toBe(12);
    expect(budget.available?.toGibibytes()).toBe(32);
  });
});

describe('VmFamily', () => {
  it('gives members the family\'s props, replaced where a member sets its own', () => {
    const t = proxmoxLab();
    const family = new VmFamily(t.lab, 'standard', { hypervisor: t.proxmox, cores: 2, memory: Size.mebibytes(4096), disks: [{ storage: t.tank, size: Size.gibibytes(32) }] });
    const web = family.addVm('web-1', { vmid: 110, cores: 4, cpuType: undefined });
    const db = family.addVm('db', { vmid: 120 });
    expect([web.cores, db.cores]).toEqual([4, 2]);
    expect(web.memory.toMebibytes()).toBe(4096);
    expect(web.disks.map((d) => [d.storage, d.size.toGibibytes()])).toEqual([[t.tank, 32]]);
    expect(web.node.path).toBe('testlab/standard/web-1');
    expect(family.members).toEqual([web, db]);
  });
});

describe('storages', () => {
  it('takes the storage id from the ZFS backing and holds disks by default', () => {
    const t = proxmoxLab();
    expect(t.tank.storageId).toBe('tank');
    expect(defaultContent(StorageType.ZFS_POOL)).toEqual([StorageContent.IMAGES, StorageContent.ROOTDIR]);
    expect(t.local.holds(StorageContent.SNIPPETS)).toBe(true);
  });

  it('names a downloaded file after the last segment of its URL', () => {
    expect(fileNameOfUrl('https://cloud.debian.org/images/cloud/trixie/latest/debian-13-genericcloud-amd64.qcow2?x=1')).toBe('debian-13-genericcloud-amd64.qcow2');
    expect(fileNameOfUrl('https://example.org')).toBe('');
  });
});

describe('planStacks', () => {
  it('puts every VM into one stack named after the lab when the lab declares none', () => {
    const t = proxmoxLab();
    const a = plainVm(t, 'a', 111);
    const b = plainVm(t, 'b', 110);
    const plans = planStacks(t.lab);
    expect(plans.map((p) => [p.settings.stackName, p.vms])).toEqual([['testlab', [b, a]]]);
    expect(plans[0].settings.endpoint).toBe(t.proxmox);
    expect(plans[0].settings.backend.config).toEqual({ path: '../../../terraform.testlab.tfstate' });
  });

  it('puts VMs into the lab\'s only stack, or the one they name', () => {
    const t = proxmoxLab();
    const prod = new ProxmoxStack(t.lab, 'prod');
    const dev = new ProxmoxStack(t.lab, 'dev');
    const web = plainVm(t, 'web', 110, { stack: prod });
    const test = plainVm(t, 'test', 900, { stack: dev });
    expect(planStacks(t.lab).map((p) => [p.settings.stackName, p.vms])).toEqual([
      ['dev', [test]],
      ['prod', [web]],
    ]);
  });

  it('has no stack for a lab without VMs', () => {
    expect(planStacks(proxmoxLab().lab)).toEqual([]);
  });
});
