/**
 * A picture of the lab, generated from the model: a Mermaid flowchart of the network, the hosts
 * and their roles, the pools, the VMs on each hypervisor, the k3s cluster, and the paths that
 * tie them together (Wake-on-LAN, DNS forwarding). `homelab diagram` prints it; GitHub and most
 * Markdown viewers draw it.
 */
import { IConstruct } from 'constructs';
import { AdGuardHome } from '../cluster/adguard-home';
import { K3sNode, K3sRole } from '../cluster/k3s-node';
import { ProxmoxHost } from '../compute/proxmox-host';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { Homelab } from '../core/homelab';
import { hostRolesIn } from '../core/host-role';
import { Host } from '../hosts/host';
import { Dnsmasq } from '../network/dnsmasq';
import { WakeOnLan } from '../network/wake-on-lan';
import { usableCapacity } from '../storage/capacity';
import { ZfsPool } from '../storage/zfs-pool';

/** The lab as a Mermaid flowchart (without the ```mermaid fence). */
export function labDiagram(lab: Homelab): string {
  const all = lab.node.findAll();
  const lines: string[] = ['flowchart LR'];
  const id = (c: IConstruct) => 'n_' + c.node.path.replace(/[^A-Za-z0-9]/g, '_');
  const node = (c: IConstruct, label: string, shape: 'box' | 'round' | 'db' = 'box') => {
    const text = `"${escapeLabel(label)}"`;
    return `${id(c)}${shape === 'db' ? `[(${text})]` : shape === 'round' ? `(${text})` : `[${text}]`}`;
  };

  const hypervisors = all.filter(ProxmoxHost.isProxmoxHost);
  const vms = all.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  const guestHosts = new Set(vms.map((vm) => vm.guest).filter((h): h is Host => h !== undefined));
  const k3sNodes = all.filter(K3sNode.isK3sNode);
  // The roles that shape the lab (hypervisor, DHCP/DNS, cluster), as the constructs on each host state them.
  const roles = hostRolesIn(lab);
  const roleOf = (host: Host) => (roles.get(host) ?? []).flatMap((r) => (r.diagram === undefined ? [] : [r.diagram]));

  lines.push(`  subgraph lan["${escapeLabel(`LAN ${lab.network.cidr} · ${lab.domain}`)}"]`);
  lines.push(`    gateway(("${escapeLabel(`router ${lab.network.gateway}`)}"))`);
  for (const host of Host.all(lab).filter((h) => !guestHosts.has(h))) {
    lines.push(`    ${node(host, [host.hostName, host.ipAddress, ...roleOf(host)].join('<br/>'))}`);
  }
  lines.push('  end');
  // The router is every host's default route (VMs reach it through their hypervisor's bridge).
  for (const host of Host.all(lab).filter((h) => !guestHosts.has(h))) {
    lines.push(`  ${id(host)} ---|default route| gateway`);
  }

  for (const proxmox of hypervisors) {
    const own = vms.filter((vm) => vm.hypervisor === proxmox);
    lines.push(`  subgraph ${id(proxmox)}["${escapeLabel(`VMs on ${proxmox.host.hostName}`)}"]`);
    for (const vm of own) {
      const guest = vm.guest;
      const label = guest ? [guest.hostName, guest.ipAddress, `vmid ${vm.vmid}`, ...roleOf(guest)] : [vm.vmName, `vmid ${vm.vmid}`];
      lines.push(`    ${guest ? node(guest, label.join('<br/>')) : node(vm, label.join('<br/>'), 'round')}`);
    }
    lines.push('  end');
    lines.push(`  ${id(proxmox.host)} --- ${id(proxmox)}`);
  }

  for (const pool of all.filter(ZfsPool.isZfsPool)) {
    lines.push(`  ${node(pool, `${pool.poolName}<br/>${usableCapacity(pool)}`, 'db')}`);
    lines.push(`  ${id(pool.host)} --- ${id(pool)}`);
  }

  for (const wake of all.filter(WakeOnLan.isWakeOnLan)) {
    lines.push(`  ${id(wake.host)} -.->|Wake-on-LAN| ${id(wake.target)}`);
  }
  for (const dnsmasq of all.filter(Dnsmasq.isDnsmasq)) {
    const adguard = dnsmasq.upstreams.find(AdGuardHome.isAdGuardHome);
    if (adguard) {
      lines.push(`  ${node(adguard, 'AdGuard Home', 'round')}`);
      lines.push(`  ${id(dnsmasq.host)} -->|DNS :${adguard.dnsPort}| ${id(adguard)}`);
      lines.push(`  ${id(adguard)} -.-|pod on| ${id(adguard.host)}`);
    }
  }
  // Every node that joins draws its edge to the server it joins first: agents and the servers
  // that join an HA cluster alike.
  for (const joining of k3sNodes) {
    const primary = joining.cluster.primaryServer;
    if (primary && primary !== joining) {
      lines.push(`  ${id(joining.host)} -->|${joining.role === K3sRole.SERVER ? 'k3s server join' : 'k3s'}| ${id(primary.host)}`);
    }
  }
  return lines.join('\n');
}

/** Mermaid label text: quotes and angle brackets as entities, except the line breaks we write. */
function escapeLabel(text: string): string {
  return text
    .split('<br/>')
    .map((part) => part.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;'))
    .join('<br/>');
}
