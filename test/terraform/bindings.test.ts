import { TerraformOutput, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { ProxmoxDownloadFile, ProxmoxProvider, ProxmoxVirtualEnvironmentVm } from '../../lib/internal';
import { schemaProblems } from '../support/tf-schema';

describe('the bpg/proxmox bindings', () => {
  it('write the provider\'s names and nesting, single blocks as objects and lists as arrays', () => {
    const doc = JSON.parse(
      Testing.synthScope((stack) => {
        new ProxmoxProvider(stack, 'proxmox', { endpoint: 'https://10.0.0.2:8006', ssh: { agent: true, node: [{ name: 'pve', address: '10.0.0.2' }] } });
        new ProxmoxVirtualEnvironmentVm(stack, 'vm', {
          nodeName: 'pve',
          vmId: 110,
          cpu: { cores: 2, type: 'host' },
          disk: [{ interface: 'scsi0', datastoreId: 'tank', size: 8, speed: { iopsRead: 100 } }],
          initialization: { ipConfig: [{ ipv4: { address: 'dhcp' } }], userAccount: { username: 'admin', keys: ['ssh-ed25519 AAAA'] } },
          networkDevice: [{ bridge: 'vmbr0', vlanId: 10 }],
        });
      }),
    );
    expect(schemaProblems(doc)).toEqual([]);
    const vm = doc.resource.proxmox_virtual_environment_vm.vm;
    expect(vm.cpu).toEqual({ cores: 2, type: 'host' });
    expect(vm.disk).toEqual([{ interface: 'scsi0', datastore_id: 'tank', size: 8, speed: { iops_read: 100 } }]);
    expect(vm.initialization).toEqual({ ip_config: [{ ipv4: { address: 'dhcp' } }], user_account: { username: 'admin', keys: ['ssh-ed25519 AAAA'] } });
    expect(vm.network_device).toEqual([
      { bridge: 'vmbr0', disconnected: null, enabled: null, firewall: null, mac_address: null, model: null, mtu: null, queues: null, rate_limit: null, trunks: null, vlan_id: 10 },
    ]);
    expect(doc.provider.proxmox[0].ssh).toEqual({ agent: true, node: [{ name: 'pve', address: '10.0.0.2' }] });
  });

  it('refuses a key the schema does not have, naming it', () => {
    expect(() =>
      Testing.synthScope((stack) => {
        new ProxmoxProvider(stack, 'proxmox', {});
        new ProxmoxVirtualEnvironmentVm(stack, 'vm', { nodeName: 'pve', cpu: { cores: 2, sockets: 1, threads: 2 } as never });
      }),
    ).toThrow(/proxmox_virtual_environment_vm\.cpu: "threads" is not an attribute or block of the schema/);
  });

  it('give references to computed attributes', () => {
    const doc = JSON.parse(
      Testing.synthScope((stack) => {
        new ProxmoxProvider(stack, 'proxmox', {});
        const file = new ProxmoxDownloadFile(stack, 'iso', { nodeName: 'pve', datastoreId: 'local', contentType: 'iso', url: 'https://example.org/a.iso' });
        file.overrideLogicalId('iso');
        new TerraformOutput(stack, 'file', { value: file.id, staticId: true });
      }),
    );
    expect(doc.output.file.value).toBe('${proxmox_download_file.iso.id}');
  });
});

describe('the schema check of the tests', () => {
  it('reports unknown names, wrong types, missing network_device keys, too many blocks and bad values', () => {
    const doc = {
      resource: {
        proxmox_virtual_environment_vm: {
          vm: {
            node_name: 'pve',
            vmid: 100,
            started: 'yes',
            cpu: [{ cores: 1 }, { cores: 2 }],
            bios: 'uefi',
            network_device: [{ bridge: 'vmbr0' }],
            ipv4_addresses: [],
          },
          nameless: {},
        },
      },
    };
    const problems = schemaProblems(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        'resource.proxmox_virtual_environment_vm.vm.vmid: no such attribute or block',
        'resource.proxmox_virtual_environment_vm.vm.started: expected bool, got "yes"',
        'resource.proxmox_virtual_environment_vm.vm.cpu: 2 blocks, at most 1',
        expect.stringMatching(/vm\.bios: "uefi" not one of/),
        expect.stringMatching(/vm\.network_device\[0\]: missing keys disconnected, enabled, firewall/),
        'resource.proxmox_virtual_environment_vm.vm.ipv4_addresses: computed-only, cannot be set',
        'resource.proxmox_virtual_environment_vm.nameless.node_name: required',
      ]),
    );
    expect(problems).toHaveLength(7);
  });
});
