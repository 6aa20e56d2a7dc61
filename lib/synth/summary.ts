/**
 * The summary `homelab synth` prints: per host its roles, address and MAC; the pools with their
 * usable capacity; the VMs with their memory against their host's RAM budget (the ZFS ARC
 * included); every warning; and what the run wrote. A report over the model, as text or JSON.
 */
import { AdGuardHome } from '../cluster/adguard-home';
import { K3sNode } from '../cluster/k3s-node';
import { memoryBudget, ProxmoxHost } from '../compute/proxmox-host';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { Homelab } from '../core/homelab';
import { OutputPlan } from '../core/output-writer';
import { Size } from '../core/size';
import { Finding, formatFinding, ValidationReport } from '../core/validation';
import { Host } from '../hosts/host';
import { Dnsmasq } from '../network/dnsmasq';
import { WakeOnLan } from '../network/wake-on-lan';
import { poolSummary, usableCapacity } from '../storage/capacity';
import { ZfsPool } from '../storage/zfs-pool';

/** An amount of memory or storage, exact and readable. */
export interface SizeSummary {
  readonly bytes: number;
  readonly text: string;
}

/** One host of the summary. */
export interface HostSummary {
  readonly name: string;
  readonly description?: string;
  readonly system: string;
  readonly ipAddress: string;
  readonly macAddress?: string;
  readonly addressing: string;
  /** What the host does in the lab, derived from the constructs on it. */
  readonly roles: readonly string[];
  readonly memory?: SizeSummary;
}

/** One ZFS pool of the summary. */
export interface PoolSummaryEntry {
  readonly host: string;
  readonly name: string;
  readonly usable: SizeSummary;
  /** Layout, usable capacity, special, log and cache in one line. */
  readonly layout: string;
}

/** One VM of the summary. */
export interface VmSummary {
  readonly hypervisor: string;
  readonly vmid: number;
  readonly name: string;
  readonly cores: number;
  readonly memory: SizeSummary;
  /** The NixOS host it runs, for NixOS VMs. */
  readonly guest?: string;
}

/** A hypervisor's memory: VMs and reservations (the ARC) against its RAM. */
export interface MemoryBudgetSummary {
  readonly host: string;
  readonly vms: SizeSummary;
  readonly reservations: ReadonlyArray<{ readonly what: string; readonly size: SizeSummary }>;
  readonly committed: SizeSummary;
  readonly ram?: SizeSummary;
  /** RAM left after VMs and reservations; negative when over-committed. */
  readonly headroomBytes?: number;
}

/** What a run wrote. */
export interface OutputSummary {
  readonly outdir: string;
  readonly files: number;
  readonly added: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly milliseconds?: number;
}

/** The whole summary. */
export interface LabSummary {
  readonly lab: string;
  readonly domain: string;
  readonly network: string;
  readonly hosts: readonly HostSummary[];
  readonly pools: readonly PoolSummaryEntry[];
  readonly vms: readonly VmSummary[];
  readonly memoryBudgets: readonly MemoryBudgetSummary[];
  readonly warnings: readonly Finding[];
  readonly acknowledgedWarnings: number;
  readonly output?: OutputSummary;
}

/** Summarizes a validated lab. */
export function summarizeLab(lab: Homelab, report: ValidationReport, output?: OutputSummary): LabSummary {
  const all = lab.node.findAll();
  const hosts = Host.all(lab);
  const pools = all.filter(ZfsPool.isZfsPool).sort(byPath);
  const hypervisors = all.filter(ProxmoxHost.isProxmoxHost).sort(byPath);
  const vms = all.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  const roles = hostRoles(all);
  return {
    lab: lab.name,
    domain: lab.domain,
    network: lab.network.cidr,
    hosts: hosts.map((h) => ({
      name: h.hostName,
      description: h.description,
      system: h.system,
      ipAddress: h.ipAddress,
      macAddress: h.macAddress,
      addressing: h.addressing,
      roles: roles.get(h) ?? [],
      memory: h.memory && sizeOf(h.memory),
    })),
    pools: pools.map((p) => ({ host: p.host.hostName, name: p.poolName, usable: sizeOf(usableCapacity(p)), layout: poolSummary(p) })),
    vms: vms.map((vm) => ({
      hypervisor: vm.hypervisor.host.hostName,
      vmid: vm.vmid,
      name: vm.vmName,
      cores: vm.cores,
      memory: sizeOf(vm.memory),
      guest: vm.guest?.hostName,
    })),
    memoryBudgets: hypervisors.map((p) => {
      const budget = memoryBudget(p);
      return {
        host: p.host.hostName,
        vms: sizeOf(budget.vms),
        reservations: budget.reservations.map((r) => ({ what: r.reservationDescription, size: sizeOf(r.reservedMemory) })),
        committed: sizeOf(budget.committed),
        ram: budget.available && sizeOf(budget.available),
        headroomBytes: budget.available ? budget.available.toBytes() - budget.committed.toBytes() : undefined,
      };
    }),
    warnings: report.warnings,
    acknowledgedWarnings: report.acknowledged?.length ?? 0,
    output,
  };
}

/** The output part of a summary, from a write plan. */
export function outputSummary(outdir: string, plan: OutputPlan, milliseconds?: number): OutputSummary {
  return {
    outdir,
    files: plan.added.length + plan.changed.length + plan.unchanged.length,
    added: plan.added.length,
    changed: plan.changed.length,
    unchanged: plan.unchanged.length,
    removed: plan.removed.length,
    milliseconds,
  };
}

/** The summary as text for a terminal. */
export function formatSummary(summary: LabSummary): string {
  const lines: string[] = [];
  lines.push(
    `${summary.lab} (${summary.domain}, ${summary.network}): ${count(summary.hosts.length, 'host')}, ` +
      `${count(summary.vms.length, 'VM')}, ${count(summary.pools.length, 'ZFS pool')}`,
  );
  lines.push('', 'Hosts');
  lines.push(
    ...table(
      summary.hosts.map((h) => [h.name, h.ipAddress, h.macAddress ?? '(no MAC)', h.system, [h.description, h.roles.length ? `[${h.roles.join(', ')}]` : ''].filter(Boolean).join(' ')]),
    ),
  );
  if (summary.pools.length) {
    lines.push('', 'ZFS pools');
    lines.push(...summary.pools.map((p) => `  ${p.host}/${p.layout}`));
  }
  for (const budget of summary.memoryBudgets) {
    const vms = summary.vms.filter((v) => v.hypervisor === budget.host);
    lines.push('', `VMs on ${budget.host}`);
    lines.push(...table(vms.map((v) => [String(v.vmid), v.name, `${v.cores} cores`, v.memory.text, v.guest ? 'NixOS host' : ''])));
    const parts = [`VMs ${budget.vms.text}`, ...budget.reservations.map((r) => `${r.what} ${r.size.text}`)];
    const against = budget.ram
      ? `; RAM ${budget.ram.text}: ${budget.headroomBytes! >= 0 ? `${Size.bytes(budget.headroomBytes!)} free` : `over by ${Size.bytes(-budget.headroomBytes!)}`}`
      : '; RAM unknown';
    lines.push(`  memory: ${budget.committed.text} committed (${parts.join(' + ')})${against}`);
  }
  const acknowledged = summary.acknowledgedWarnings ? ` (${summary.acknowledgedWarnings} acknowledged, not shown)` : '';
  lines.push('', summary.warnings.length ? `Warnings: ${summary.warnings.length}${acknowledged}` : `Warnings: none${acknowledged}`);
  lines.push(...summary.warnings.map((w) => `  ${formatFinding(w)}`));
  if (summary.output) {
    const o = summary.output;
    const took = o.milliseconds === undefined ? '' : ` in ${o.milliseconds.toFixed(0)} ms`;
    lines.push('', `${o.files} files in ${o.outdir}/ (${o.added} added, ${o.changed} changed, ${o.unchanged} unchanged, ${o.removed} removed)${took}`);
  }
  return lines.join('\n');
}

/** What each host does, from the constructs that run on it. */
function hostRoles(all: readonly import('constructs').IConstruct[]): Map<Host, string[]> {
  const roles = new Map<Host, string[]>();
  const add = (host: Host, role: string) => roles.set(host, [...(roles.get(host) ?? []), role]);
  for (const c of all) {
    if (ProxmoxHost.isProxmoxHost(c)) add(c.host, `Proxmox VE (${c.vms.length} VMs)`);
    else if (ProxmoxVm.isProxmoxVm(c) && c.guest) add(c.guest, `VM ${c.vmid} on ${c.hypervisor.host.hostName}`);
    else if (K3sNode.isK3sNode(c)) add(c.host, `k3s ${c.role}`);
    else if (Dnsmasq.isDnsmasq(c)) add(c.host, 'DHCP/DNS (dnsmasq)');
    else if (AdGuardHome.isAdGuardHome(c)) add(c.host, `AdGuard Home (:${c.dnsPort})`);
    else if (WakeOnLan.isWakeOnLan(c)) add(c.host, `wakes ${c.target.hostName}`);
    else if (ZfsPool.isZfsPool(c)) add(c.host, `pool ${c.poolName}`);
  }
  return roles;
}

function sizeOf(size: Size): SizeSummary {
  return { bytes: size.toBytes(), text: size.toString() };
}

function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`.trimEnd());
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function byPath(a: { node: { path: string } }, b: { node: { path: string } }): number {
  return a.node.path < b.node.path ? -1 : a.node.path > b.node.path ? 1 : 0;
}
