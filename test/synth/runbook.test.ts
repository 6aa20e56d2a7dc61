/**
 * The first-deploy runbook follows the model's dependencies: for the reference lab (a Pi that
 * serves DHCP/DNS and wakes the hypervisor, VMs, NixOS guests, a k3s cluster, manifests) and for
 * a lab without a Pi or a DHCP server of its own.
 */
import { describe, expect, it } from 'vitest';
import { Addressing, HardwareProfile, Host, K3sCluster, ProxmoxStack, ProxmoxVm, Secret, Size } from '../../lib';
import { labRunbook, RunbookStep } from '../../lib/synth/runbook';
import { byHand, hostStepKey, RUNBOOK_CONTRIBUTORS, runbookSteps, RunbookContributor } from '../../lib/runbook';
import { buildReferenceLab } from '../../apps/reference-lab';
import { vmHost } from '../support/labs';
import { proxmoxLab } from '../support/compute';

/** Each step's position, after checking that every step comes after the ones it needs. */
function positions(steps: readonly RunbookStep[]): Map<string, number> {
  const at = new Map(steps.map((s, i) => [s.key, i]));
  for (const step of steps) {
    for (const before of step.after) {
      expect(at.has(before), `${step.key} needs ${before}, which is no step`).toBe(true);
      expect(at.get(before)!, `${before} before ${step.key}`).toBeLessThan(at.get(step.key)!);
    }
  }
  return at;
}

const before = (at: Map<string, number>, a: string, b: string) => expect(at.get(a)!, `${a} before ${b}`).toBeLessThan(at.get(b)!);

describe('the runbook of the first deploy', () => {
  it('orders the reference lab: by-hand steps, the Pi, the host it wakes, the VMs, the guests, the cluster, the manifests', () => {
    const steps = labRunbook(buildReferenceLab().lab);
    const at = positions(steps);
    expect(steps[0].key).toBe('manual:router-dhcp');
    before(at, 'manual:wake-firmware:maxdata', 'host:maxdata');
    // The network anchor first, since it serves DHCP and DNS and wakes maxdata.
    before(at, 'host:pi-network', 'host:maxdata');
    before(at, 'host:maxdata', 'stack:prod');
    before(at, 'manual:proxmox-token', 'stack:prod');
    for (const guest of ['k3s-node1', 'k3s-node2', 'k3s-node3']) {
      before(at, 'stack:prod', `host:${guest}`);
      before(at, `host:${guest}`, `k3s:${guest}`);
    }
    for (const agent of ['k3s-node2', 'k3s-node3', 'pi-network']) before(at, 'k3s:k3s-node1', `k3s:${agent}`);
    for (const node of ['k3s-node1', 'k3s-node2', 'k3s-node3', 'pi-network']) before(at, `k3s:${node}`, 'k8s:k3s');
    expect(steps.find((s) => s.key === 'host:pi-network')!.checks).toContain('dig +short @192.168.178.10 pi-network.local   # 192.168.178.10');
    // maxdata's disks are disko's whole (its root is on the pool fast): nixos-anywhere installs it,
    // with its host key, and its pools are created by disko and exported before the reboot.
    expect(steps.find((s) => s.key === 'host:maxdata')!.commands).toContain(
      'nix run github:nix-community/nixos-anywhere/1.13.0 -- --flake path:dist/nix#maxdata --extra-files /tmp/maxdata-extra-files --option accept-flake-config true --target-host root@192.168.178.97   # wipes and partitions fast, tank\'s disks',
    );
    expect(steps.find((s) => s.key === 'host:maxdata')!.commands).toContain(
      'install -d -m 0755 /tmp/maxdata-extra-files/etc/ssh && install -m 0600 secrets/host-keys/maxdata/ssh_host_ed25519_key /tmp/maxdata-extra-files/etc/ssh/ssh_host_ed25519_key',
    );
    // The Pi's card is the flake's SD image, with the host key put on it before the first boot.
    expect(steps.find((s) => s.key === 'host:pi-network')!.commands).toContain('nix build path:dist/nix#packages.aarch64-linux.pi-network-sd-image');
    // The k3s VMs are installed by the stack (nixos-anywhere's module): nothing to type on a console.
    expect(steps.find((s) => s.key === 'host:k3s-node1')!.commands.join('\n')).not.toMatch(/nixos-install|console/);
    expect(steps.find((s) => s.key === 'host:maxdata')!.checks).toContain('systemctl status wake-on-lan-arm   # on maxdata: active (exited), "Wake-on: g"');
    expect(steps.filter((s) => s.manual).map((s) => s.key)).toEqual([
      'manual:router-dhcp',
      'manual:wake-firmware:maxdata',
      'manual:backup-account:sftp://u123456@u123456.your-storagebox.de:23/homelab',
      'manual:installer:windows11',
      'manual:proxmox-token',
    ]);
  });

  it('orders a lab without a Pi: no DHCP or wake steps, the hypervisor, its VMs, the guest, its cluster', () => {
    const t = proxmoxLab();
    const node = vmHost(t.lab, 'node1', '10.0.0.21', { memory: Size.gibibytes(4) });
    new ProxmoxVm(t.lab, 'node1-vm', { hypervisor: t.proxmox, vmid: 201, guest: node, disks: [{ storage: t.tank, size: Size.gibibytes(16) }] });
    new ProxmoxStack(t.lab, 'prod', { endpoint: t.proxmox, insecure: true });
    const other = new Host(t.lab, 'nas', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }), ipAddress: '10.0.0.3', macAddress: 'a8:a1:59:00:00:03', addressing: Addressing.STATIC });
    const cluster = new K3sCluster(t.lab, 'k3s', { token: Secret.fromFile('/var/lib/secrets/k3s-token') });
    cluster.addServer(node);
    cluster.addAgent(other);
    const steps = labRunbook(t.lab);
    const at = positions(steps);
    expect(steps.map((s) => s.key)).not.toContain('manual:router-dhcp');
    expect(steps.some((s) => s.key.startsWith('manual:wake-firmware'))).toBe(false);
    before(at, 'host:pve', 'stack:prod');
    before(at, 'stack:prod', 'host:node1');
    before(at, 'k3s:node1', 'k3s:nas');
    before(at, 'k3s:nas', 'k8s:k3s');
  });

  it('takes a new area\'s steps from one more contributor: a by-hand step, a host\'s role, check and wait', () => {
    const { lab } = buildReferenceLab();
    const maxdata = Host.all(lab).find((h) => h.hostName === 'maxdata')!;
    // What an NFS export would state, in the runbook projection's terms only.
    const nfs: RunbookContributor = () => ({
      steps: [byHand('nfs-clients', 'Note the NFS clients of maxdata')],
      hostParts: [{ host: maxdata, role: 'the NFS server', checks: ['showmount -e 192.168.178.2   # /tank/share'], after: ['manual:nfs-clients', 'manual:not-a-step'] }],
    });
    const steps = runbookSteps(lab, [...RUNBOOK_CONTRIBUTORS, nfs]);
    const step = steps.find((s) => s.key === hostStepKey(maxdata))!;
    expect(step.title).toBe('Install maxdata, the hypervisor and the NFS server');
    expect(step.checks.at(-1)).toBe('showmount -e 192.168.178.2   # /tank/share');
    // A wait for a step the lab does not have is dropped; the anchor's wait is added.
    expect(step.after).toContain('manual:nfs-clients');
    expect(step.after).not.toContain('manual:not-a-step');
    expect(step.after).toContain('host:pi-network');
    // By-hand steps come first in the list, the new one after those of the library's areas.
    expect(steps.filter((s) => s.manual).map((s) => s.key).at(-1)).toBe('manual:nfs-clients');
    expect(runbookSteps(lab).map((s) => s.key)).not.toContain('manual:nfs-clients');
  });
});
