/**
 * The first deploy of a lab, step by step, derived from the model: what stays manual (the
 * router's DHCP, firmware settings, accounts), then the network anchor (the host that serves DHCP
 * and DNS), the hosts it wakes, the hypervisors and their pools, the VMs, the NixOS guests, the
 * k3s cluster (its first server, then the others), the manifests. Each step carries the exact
 * commands and what to check afterwards. The steps come from the runbook projection (lib/runbook,
 * one contributor per model area); this file only orders them, in a topological order of the
 * dependencies the model states (a VM needs its hypervisor, a guest its VM, an agent its server,
 * a woken host its waker), so a lab without a Pi or without a cluster gets its own, shorter
 * runbook. `homelab runbook` prints it as Markdown.
 */
import { Homelab } from '../core/homelab';
import { runbookSteps, RunbookStep } from '../runbook';

export type { RunbookStep } from '../runbook';

/** The steps of a lab's first deploy, in an order that respects every `after`. */
export function labRunbook(lab: Homelab): RunbookStep[] {
  return orderSteps(runbookSteps(lab));
}

/** The runbook as Markdown: numbered steps, each with its commands and checks. */
export function formatRunbook(lab: Homelab, steps: readonly RunbookStep[]): string {
  const lines = [`# First deploy of ${lab.name}`, '', 'Generated from the model by `homelab runbook`; each step needs the ones before it.', ''];
  steps.forEach((step, i) => {
    lines.push(`${i + 1}. ${step.manual ? '(by hand) ' : ''}${step.title}`);
    if (step.commands.length > 0) {
      lines.push('', '   ```sh', ...step.commands.map((c) => `   ${c}`), '   ```');
    }
    if (step.checks.length > 0) {
      lines.push('', '   Check:', '', '   ```sh', ...step.checks.map((c) => `   ${c}`), '   ```');
    }
    lines.push('');
  });
  return lines.join('\n');
}

/** Steps in dependency order; among steps that are ready, the order they were listed in. */
function orderSteps(steps: readonly RunbookStep[]): RunbookStep[] {
  const keys = new Set(steps.map((s) => s.key));
  const done = new Set<string>();
  const out: RunbookStep[] = [];
  const pending = [...steps];
  while (pending.length > 0) {
    const i = pending.findIndex((s) => s.after.every((k) => done.has(k) || !keys.has(k)));
    // A cycle cannot come from the model's dependencies; should one appear, keep the list order.
    const [next] = pending.splice(i < 0 ? 0 : i, 1);
    out.push(next);
    done.add(next.key);
  }
  return out;
}
