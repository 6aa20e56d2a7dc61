/**
 * Which Terraform stack plans which VM: the one rule, read by the VM (its `stack`, its
 * validation) and by the Terraform projection (the stacks it builds).
 */
import type { IConstruct } from 'constructs';
import { Homelab } from '../core/homelab';
import { Secret } from '../core/secret';
import { displayPath, perValidationRun, problem } from '../core/validation';
import { ProxmoxHost } from './proxmox-host';
import { defaultStatePath, firstSudoUser, PROXMOX_API_TOKEN_VARIABLE, ProxmoxStack, StackPlan, StackSettings, StateBackend } from './proxmox-stack';
import type { ProxmoxVm } from './proxmox-vm';

/** A VM's stack, and what is wrong with it. */
export interface StackMembership {
  /** The stack the VM belongs to; undefined for the lab's default stack (or when it is ambiguous). */
  readonly stack?: ProxmoxStack;
  /** Why the VM's stack is wrong or ambiguous. */
  readonly problems: readonly string[];
}

/** What the membership rule reads of a VM. */
export interface StackMember extends IConstruct {
  /** The stack given in the VM's props, if any. */
  readonly declaredStack: ProxmoxStack | undefined;
}

/**
 * The stack a VM belongs to: the one it names (of its lab), else the lab's only ProxmoxStack,
 * else none (a lab without ProxmoxStacks gets its default stack). A VM that names none in a lab
 * with several is a problem.
 */
export function stackMembership(vm: StackMember): StackMembership {
  const declared = vm.declaredStack;
  if (declared) {
    return Homelab.of(declared) === Homelab.of(vm)
      ? { stack: declared, problems: [] }
      : { stack: declared, problems: [problem(`stack ${displayPath(declared)} belongs to another lab`, 'use a stack of this lab')] };
  }
  const stacks = perValidationRun(vm, 'proxmox-stacks', () => ProxmoxStack.all(vm.node.root));
  if (stacks.length > 1) {
    return { problems: [problem(`the lab has ${stacks.length} Terraform stacks and the VM names none`, `set stack: one of ${stacks.map((s) => s.stackName).sort().join(', ')}`)] };
  }
  return { stack: stacks[0], problems: [] };
}

/** The VMs of a lab, sorted by vmid: those of its Proxmox hosts. */
export function labVms(lab: IConstruct): ProxmoxVm[] {
  return ProxmoxHost.all(lab)
    .flatMap((host) => host.vms)
    .sort((a, b) => a.vmid - b.vmid);
}

/**
 * The lab's Terraform stacks with their VMs: each declared ProxmoxStack with the VMs that
 * belong to it (by the membership rule above), or, when the lab declares none but has VMs, one stack
 * named after the lab with the defaults. Sorted by stack name.
 */
export function planStacks(lab: Homelab): StackPlan[] {
  const stacks = ProxmoxStack.all(lab);
  const vms = labVms(lab);
  if (stacks.length === 0) {
    return vms.length === 0 ? [] : [{ settings: defaultStackSettings(lab), vms }];
  }
  const byStack = new Map<ProxmoxStack, ProxmoxVm[]>(stacks.map((s) => [s, []]));
  for (const vm of vms) {
    const stack = stackMembership(vm).stack;
    if (stack) {
      byStack.get(stack)?.push(vm);
    }
  }
  return stacks.map((s) => ({ settings: s, vms: byStack.get(s) ?? [] }));
}

/** The settings of the stack a lab without a ProxmoxStack gets. */
export function defaultStackSettings(lab: Homelab): StackSettings {
  return {
    stackName: lab.name,
    endpoint: ProxmoxHost.all(lab)[0],
    insecure: true,
    apiToken: Secret.fromEnvironment(PROXMOX_API_TOKEN_VARIABLE),
    backend: StateBackend.local(defaultStatePath(lab.name)),
    sshUser: firstSudoUser(lab),
    terraformOverrides: [],
  };
}
