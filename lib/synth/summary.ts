/**
 * The summary `homelab synth` prints: per host its roles, address and MAC; the pools with their
 * usable capacity; the VMs with their memory against their host's RAM budget (the ZFS ARC
 * included); every warning; and what the run wrote. A report over the model, as text or JSON.
 */
import { Homelab } from '../core/homelab';
import { hostRolesIn } from '../core/host-role';
import { byText } from '../core/order';
import { OutputPlan } from '../core/output-writer';
import { Size } from '../core/size';
import { HostSummaryPart, isSummaryPartHolder, MemoryBudgetSummaryPart, PoolSummaryPart, SummaryPart, SummaryPartKind, VmSummaryPart } from '../core/summary-part';
import { Finding, formatFinding, ValidationReport } from '../core/validation';

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
  // What each construct adds (a host, a pool, a VM, a memory budget), in construct-tree order.
  const parts = lab.node
    .findAll()
    .filter(isSummaryPartHolder)
    .flatMap((holder) => holder.summaryParts().map((part) => ({ path: holder.node.path, part })));
  const ofKind = <K extends SummaryPartKind>(kind: K, order: (a: Placed<K>, b: Placed<K>) => number) =>
    parts
      .filter((p): p is Placed<K> => p.part.kind === kind)
      .sort(order)
      .map((p) => p.part);
  const hosts: HostSummaryPart[] = ofKind(SummaryPartKind.HOST, byText((p) => p.part.name));
  const pools: PoolSummaryPart[] = ofKind(SummaryPartKind.POOL, byText((p) => p.path));
  const vms: VmSummaryPart[] = ofKind(SummaryPartKind.VM, (a, b) => a.part.vmid - b.part.vmid);
  const budgets: MemoryBudgetSummaryPart[] = ofKind(SummaryPartKind.MEMORY_BUDGET, byText((p) => p.path));
  // What each host does, from the constructs on it that say which role they give it.
  const roles = hostRolesIn(lab);
  return {
    lab: lab.name,
    domain: lab.domain,
    network: lab.network.cidr,
    hosts: hosts.map((h) => ({
      name: h.name,
      description: h.description,
      system: h.system,
      ipAddress: h.ipAddress,
      macAddress: h.macAddress,
      addressing: h.addressing,
      roles: (roles.get(h.host) ?? []).map((r) => r.summary),
      memory: h.memory && sizeOf(h.memory),
    })),
    pools: pools.map((p) => ({ host: p.host, name: p.name, usable: sizeOf(p.usable), layout: p.layout })),
    vms: vms.map((vm) => ({
      hypervisor: vm.hypervisor,
      vmid: vm.vmid,
      name: vm.name,
      cores: vm.cores,
      memory: sizeOf(vm.memory),
      guest: vm.guest,
    })),
    memoryBudgets: budgets.map((budget) => ({
      host: budget.host,
      vms: sizeOf(budget.vms),
      reservations: budget.reservations.map((r) => ({ what: r.what, size: sizeOf(r.size) })),
      committed: sizeOf(budget.committed),
      ram: budget.ram && sizeOf(budget.ram),
      headroomBytes: budget.ram ? budget.ram.toBytes() - budget.committed.toBytes() : undefined,
    })),
    warnings: report.warnings,
    acknowledgedWarnings: report.acknowledged?.length ?? 0,
    output,
  };
}

/** A part of the summary with the path of the construct that states it. */
interface Placed<K extends SummaryPartKind> {
  readonly path: string;
  readonly part: Extract<SummaryPart, { kind: K }>;
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
