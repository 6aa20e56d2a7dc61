/**
 * The summary `homelab synth` prints: per host its roles, address and MAC; the pools with their
 * usable capacity; the VMs with their memory against their host's RAM budget (the ZFS ARC
 * included); every warning; and what the run wrote. A report over the model, as text or JSON.
 */
import { memoryBudget, ProxmoxHost } from '../compute/proxmox-host';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { Homelab } from '../core/homelab';
import { hostRolesIn } from '../core/host-role';
import { OutputPlan } from '../core/output-writer';
import { Size } from '../core/size';
import { Finding, formatFinding, ValidationReport } from '../core/validation';
import { Host } from '../hosts/host';
import { poolSummary, usableCapacity } from '../storage/capacity';
import { ZfsPool } from '../storage/zfs-pool';
import { byText } from '../core/order';

/** An amount of memory or storage, exact and readable. */
export interface SizeSummary {
  /** The size in whole bytes. */
  readonly bytes: number;
  /** The size in binary units for people (`16 GiB`, `3.6 TiB`). */
  readonly text: string;
}

/** One host of the summary. */
export interface HostSummary {
  /** The host name (`maxdata`). */
  readonly name: string;
  /** The host's description, when it has one. */
  readonly description?: string;
  /** The host's Nix system (`x86_64-linux`). */
  readonly system: string;
  /** The host's IPv4 address on the lab network. */
  readonly ipAddress: string;
  /** The host's MAC address; unset for bare metal without a declared one. */
  readonly macAddress?: string;
  /** How the host gets its address: `dhcp` (its static lease) or `static`. */
  readonly addressing: string;
  /** What the host does in the lab, derived from the constructs on it. */
  readonly roles: readonly string[];
  /** The host's RAM, when declared. */
  readonly memory?: SizeSummary;
}

/** One ZFS pool of the summary. */
export interface PoolSummaryEntry {
  /** The name of the host the pool is on. */
  readonly host: string;
  /** The pool's name (`tank`). */
  readonly name: string;
  /** The pool's usable capacity: its data vdevs after parity and mirrors. */
  readonly usable: SizeSummary;
  /** Layout, usable capacity, special, log and cache in one line. */
  readonly layout: string;
}

/** One VM of the summary. */
export interface VmSummary {
  /** The name of the Proxmox host the VM runs on. */
  readonly hypervisor: string;
  /** The VM's Proxmox id. */
  readonly vmid: number;
  /** The VM's name in Proxmox. */
  readonly name: string;
  /** Its CPU cores. */
  readonly cores: number;
  /** Its memory. */
  readonly memory: SizeSummary;
  /** The NixOS host it runs, for NixOS VMs. */
  readonly guest?: string;
}

/** A hypervisor's memory: VMs and reservations (the ARC) against its RAM. */
export interface MemoryBudgetSummary {
  /** The name of the Proxmox host. */
  readonly host: string;
  /** The memory of every VM on the host. */
  readonly vms: SizeSummary;
  /** The memory reservations on the host (the ZFS ARC maximum, …). */
  readonly reservations: readonly MemoryReservationSummary[];
  /** VMs plus reservations. */
  readonly committed: SizeSummary;
  /** The host's RAM, when declared. */
  readonly ram?: SizeSummary;
  /** RAM left after VMs and reservations; negative when over-committed. */
  readonly headroomBytes?: number;
}

/** Memory a part of a hypervisor holds for itself, in a {@link MemoryBudgetSummary}. */
export interface MemoryReservationSummary {
  /** What holds it, in a few words (`ZFS ARC maximum`). */
  readonly what: string;
  /** How much it holds at most. */
  readonly size: SizeSummary;
}

/** What a run wrote. */
export interface OutputSummary {
  /** The output folder (the CLI gives it relative to the working directory). */
  readonly outdir: string;
  /** The files the output now holds: added, changed and unchanged. */
  readonly files: number;
  /** Files that were not there before. */
  readonly added: number;
  /** Files whose content changed. */
  readonly changed: number;
  /** Files left as they were (not rewritten). */
  readonly unchanged: number;
  /** Files of an earlier run that the lab no longer makes, removed. */
  readonly removed: number;
  /** How long the run took, in milliseconds, when measured. */
  readonly milliseconds?: number;
}

/** The whole summary. */
export interface LabSummary {
  /** The lab's name. */
  readonly lab: string;
  /** The lab's local DNS domain (`local`). */
  readonly domain: string;
  /** The lab network in CIDR notation (`192.168.178.0/24`). */
  readonly network: string;
  /** Every host, sorted by host name. */
  readonly hosts: readonly HostSummary[];
  /** Every ZFS pool, sorted by construct path. */
  readonly pools: readonly PoolSummaryEntry[];
  /** Every Proxmox VM, sorted by vmid. */
  readonly vms: readonly VmSummary[];
  /** The memory budget of every Proxmox host, sorted by construct path. */
  readonly memoryBudgets: readonly MemoryBudgetSummary[];
  /** The warnings that are not acknowledged. */
  readonly warnings: readonly Finding[];
  /** How many warnings the lab acknowledged (not listed). */
  readonly acknowledgedWarnings: number;
  /** What the run wrote, for `homelab synth`. */
  readonly output?: OutputSummary;
}

/** Summarizes a validated lab. */
export function summarizeLab(lab: Homelab, report: ValidationReport, output?: OutputSummary): LabSummary {
  const all = lab.node.findAll();
  const hosts = Host.all(lab);
  const pools = all.filter(ZfsPool.isZfsPool).sort(byText((c) => c.node.path));
  const hypervisors = all.filter(ProxmoxHost.isProxmoxHost).sort(byText((c) => c.node.path));
  const vms = all.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  // What each host does, from the constructs on it that say which role they give it.
  const roles = hostRolesIn(lab);
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
      roles: (roles.get(h) ?? []).map((r) => r.summary),
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
