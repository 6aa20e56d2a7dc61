/**
 * Which Terraform stack plans which VM: the one rule, read by the VM (its `stack`, its
 * validation) and by the Terraform projection (the stacks it builds).
 */
import type { IConstruct } from 'constructs';
import { Homelab } from '../core/homelab';
import { byText } from '../core/order';
import { Secret } from '../core/secret';
import { runIndex } from '../core/kind';
import { displayPath, problem } from '../core/validation';
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
  /** The node the VM runs on. */
  readonly hypervisor: ProxmoxHost;
}

/**
 * The stack a VM belongs to: the one it names (of its lab), else the lab's only ProxmoxStack,
 * else the only one whose API reaches the VM's node, else none (a lab without ProxmoxStacks
 * gets a default stack per API). Whatever the stack, its API must reach the VM's node: its
 * own host, or a member of the node's cluster. Another host's API would create the VM on the
 * wrong machine, or fail.
 */
export function stackMembership(vm: StackMember): StackMembership {
  const declared = vm.declaredStack;
  if (declared) {
    if (Homelab.of(declared) !== Homelab.of(vm)) {
      return { stack: declared, problems: [problem(`stack ${displayPath(declared)} belongs to another lab`, 'use a stack of this lab')] };
    }
    return { stack: declared, problems: reachProblems(vm, declared) };
  }
  const stacks = STACKS.of(vm);
  if (stacks.length <= 1) {
    return { stack: stacks[0], problems: stacks[0] ? reachProblems(vm, stacks[0]) : [] };
  }
  const reaching = stacks.filter((s) => s.endpoint?.apiReaches(vm.hypervisor));
  if (reaching.length === 1) {
    return { stack: reaching[0], problems: [] };
  }
  const names = (reaching.length > 0 ? reaching : stacks).map((s) => s.stackName).sort();
  return { problems: [problem(`the lab has ${stacks.length} Terraform stacks and the VM names none`, `set stack: one of ${names.join(', ')}`)] };
}

/** The problem of a stack whose API does not manage the VM's node. */
function reachProblems(vm: StackMember, stack: ProxmoxStack): string[] {
  const endpoint = stack.endpoint;
  if (!endpoint || endpoint.apiReaches(vm.hypervisor)) {
    return [];
  }
  const node = vm.hypervisor;
  return [
    problem(
      `the VM runs on ${node.nodeName} but its stack ${stack.stackName} talks to the API of ${endpoint.nodeName} (${endpoint.apiEndpoint}), which manages ${endpoint.cluster ? `the members of cluster ${endpoint.cluster.clusterName}` : `only ${endpoint.nodeName}`}, so Terraform would send the VM to the wrong host`,
      `put the VM in a stack whose endpoint is ${node.nodeName}${node.cluster ? ` or cluster ${node.cluster.clusterName}` : ''} (new ProxmoxStack(lab, '…', { endpoint: … }))`,
    ),
  ];
}

/** The VMs of a lab, sorted by vmid: those of its Proxmox hosts. */
export function labVms(lab: IConstruct): ProxmoxVm[] {
  return ProxmoxHost.all(lab)
    .flatMap((host) => host.vms)
    .sort((a, b) => a.vmid - b.vmid);
}

/**
 * The lab's Terraform stacks with their VMs: each declared ProxmoxStack with the VMs that
 * belong to it (by the membership rule above), or, when the lab declares none but has VMs, one
 * default stack per API: per Proxmox cluster (through its apiHost) and per Proxmox host outside
 * a cluster. With one API the stack is named after the lab, with several `<lab>-<cluster or
 * node>`. Sorted by stack name.
 */
export function planStacks(lab: Homelab): StackPlan[] {
  const stacks = ProxmoxStack.all(lab);
  const vms = labVms(lab);
  if (stacks.length === 0) {
    return defaultStackPlans(lab, vms);
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

/** The default stacks of a lab without ProxmoxStacks: one per API that has VMs. */
function defaultStackPlans(lab: Homelab, vms: readonly ProxmoxVm[]): StackPlan[] {
  const byApi = new Map<ProxmoxHost, ProxmoxVm[]>();
  for (const vm of vms) {
    const api = vm.hypervisor.cluster?.apiHost ?? vm.hypervisor;
    byApi.set(api, [...(byApi.get(api) ?? []), vm]);
  }
  if (byApi.size <= 1) {
    return vms.length === 0 ? [] : [{ settings: defaultStackSettings(lab), vms }];
  }
  return [...byApi]
    .map(([api, apiVms]) => ({ settings: defaultStackSettings(lab, api), vms: apiVms }))
    .sort(byText((p) => p.settings.stackName));
}

/**
 * The settings of a default stack: with no `api`, the lab's only one (named after the lab,
 * talking to its first Proxmox host); with one, the stack of that API (`<lab>-<cluster or node>`).
 */
export function defaultStackSettings(lab: Homelab, api?: ProxmoxHost): StackSettings {
  const stackName = api ? `${lab.name}-${api.cluster?.clusterName ?? api.nodeName}` : lab.name;
  return {
    stackName,
    endpoint: api ?? ProxmoxHost.all(lab)[0],
    insecure: true,
    apiToken: Secret.fromEnvironment(PROXMOX_API_TOKEN_VARIABLE),
    backend: StateBackend.local(defaultStatePath(stackName)),
    sshUser: firstSudoUser(lab),
    terraformOverrides: [],
  };
}

/** Every Terraform stack of the lab, once per validation run. */
const STACKS = runIndex((root) => ProxmoxStack.all(root));
