/**
 * The runbook projection: the first deploy of a lab as steps, each model area's contributor
 * stating the steps of its constructs (like the Nix renderers, one list, one file an area).
 * `homelab runbook` (lib/synth/runbook.ts) orders and prints them; it lists no construct.
 */
import { Homelab } from '../core/homelab';
import { clusterRunbook } from './cluster';
import { computeRunbook } from './compute';
import { secretsRunbook } from './core';
import { hostInstallSteps } from './hosts';
import { networkRunbook } from './network';
import { operationsRunbook } from './operations';
import { HOST_STEP_PREFIX, hostStepKey, HostStepPart, PhasedRunbookStep, RunbookContributor, RunbookStep } from './runbook-step';
import { storageRunbook } from './storage';

export * from './runbook-step';

/**
 * The contributors, in the order their by-hand steps are listed and their parts are merged into
 * a host's step (its title's roles, its checks).
 */
export const RUNBOOK_CONTRIBUTORS: readonly RunbookContributor[] = [networkRunbook, operationsRunbook, computeRunbook, storageRunbook, secretsRunbook, clusterRunbook];

/**
 * The steps of a lab's first deploy, listed by phase (by hand, hosts, VMs, guests, the cluster)
 * and within a phase by contributor, not yet ordered by their dependencies. A step waits only
 * for steps the lab has; every host's install waits for the network anchor's and for what
 * the host parts of the areas say.
 */
export function runbookSteps(lab: Homelab, contributors: readonly RunbookContributor[] = RUNBOOK_CONTRIBUTORS): RunbookStep[] {
  const contributions = contributors.map((c) => c(lab));
  const parts: HostStepPart[] = contributions.flatMap((c) => c.hostParts ?? []);
  const phased: PhasedRunbookStep[] = [...contributions.flatMap((c) => c.steps ?? []), ...hostInstallSteps(lab, parts)];
  // A stable sort: within a phase, the contributors' order.
  phased.sort((a, b) => a.phase - b.phase);
  const steps = new Map<string, RunbookStep>();
  for (const { step } of phased) {
    if (!steps.has(step.key)) {
      steps.set(step.key, step);
    }
  }
  // The waits of the parts apply to the host's step, whichever area makes it (a guest's is its VM's).
  const anchorKeys = new Set(parts.filter((p) => p.anchor).map((p) => hostStepKey(p.host)));
  const waits = new Map<string, string[]>();
  for (const part of parts) {
    const key = hostStepKey(part.host);
    waits.set(key, [...(waits.get(key) ?? []), ...(part.after ?? [])]);
  }
  return [...steps.values()].map((step) => {
    const waitsForAnchor = step.key.startsWith(HOST_STEP_PREFIX) && !anchorKeys.has(step.key);
    const after = [...new Set([...step.after, ...(waits.get(step.key) ?? []), ...(waitsForAnchor ? anchorKeys : [])])].filter((k) => steps.has(k));
    return { ...step, after };
  });
}
