/**
 * The vocabulary of the runbook projection (`homelab runbook`): a step of the first deploy, the
 * phase that places it in the list, and what a model area adds to the step that installs a host.
 * Each area's contributor (`lib/runbook/<area>.ts`) states its steps in these terms; the list of
 * contributors is `RUNBOOK_CONTRIBUTORS`, and lib/synth only orders and prints the result.
 */
import type { Homelab } from '../core/homelab';
import type { Host } from '../hosts/host';

/** One step of the first deploy. */
export interface RunbookStep {
  /** A stable key (`host:maxdata`, `stack:prod`, `manual:router-dhcp`). */
  readonly key: string;
  /** What the step does, in a few words. */
  readonly title: string;
  /** Done by hand (firmware, accounts, the router): no command does it. */
  readonly manual: boolean;
  /** The commands to run, in order (empty for a manual step). */
  readonly commands: readonly string[];
  /** What to check afterwards, as commands with what they must show. */
  readonly checks: readonly string[];
  /** The keys of the steps that must be done first. */
  readonly after: readonly string[];
}

/**
 * Where a step is listed before the dependencies order the list: among the steps that are ready,
 * the earlier phase first, and within a phase the order of the contributors.
 */
export enum RunbookPhase {
  /** What no command of this library can do: the router, firmware, accounts, tokens. */
  BY_HAND = 0,
  /** What is made on your machine before any host is installed. */
  PREPARE = 1,
  /** The machines installed from an installer or an image (not VMs). */
  HOSTS = 2,
  /** The VMs, created by the Terraform stacks. */
  VMS = 3,
  /** The NixOS hosts in those VMs. */
  GUESTS = 4,
  /** The cluster on the hosts, then what runs in it. */
  CLUSTER = 5,
}

/** A step with the phase it is listed in. */
export interface PhasedRunbookStep {
  /** The phase. */
  readonly phase: RunbookPhase;
  /** The step. */
  readonly step: RunbookStep;
}

/** How a host is installed, when not from the NixOS installer booted on it. */
export interface HostInstall {
  /** The commands that install it (for bare metal, before the `nixos-rebuild switch` of every later change). */
  readonly commands: readonly string[];
  /**
   * Where the `prepare` lines of the parts go among the commands (in the NixOS installer, before
   * `nixos-install`).
   * @default - nowhere: the install runs no installer of yours (an SD image, nixos-anywhere)
   */
  readonly prepareAt?: number;
  /**
   * What to check right after the SSH check.
   * @default - none
   */
  readonly checks?: readonly string[];
}

/** The step that installs a VM's guest, once its VM exists. */
export interface GuestInstall {
  /** The step's title (`Install k3s-node1 in VM 201 on maxdata`). */
  readonly title: string;
  /** How it is installed. */
  readonly install: HostInstall;
  /** The steps it waits for (its VM's stack). */
  readonly after: readonly string[];
}

/**
 * What one construct adds to the step that installs a host: the host's step is
 * `Install <host>` (or the title of its {@link GuestInstall}), with the parts of every area
 * merged in contributor order. For a VM's guest, `role` and `checks` do not apply.
 */
export interface HostStepPart {
  /** The host whose step it adds to. */
  readonly host: Host;
  /**
   * What the host is, for the step's title (`the hypervisor`).
   * @default - nothing in the title
   */
  readonly role?: string;
  /**
   * The host serves DHCP and DNS: every other host, guests included, is installed after it.
   * @default false
   */
  readonly anchor?: boolean;
  /**
   * The host is the guest of a VM: installed into it once it exists, listed with the guests.
   * @default - not a guest: installed on its machine
   */
  readonly guest?: GuestInstall;
  /**
   * How the host is installed instead of from the NixOS installer; the first part that says wins.
   * @default - the NixOS installer booted on the host (the `prepare` lines, then `nixos-install`)
   */
  readonly install?: HostInstall;
  /**
   * Commands to run in the installer before `nixos-install` (creating the pools).
   * @default - none
   */
  readonly prepare?: readonly string[];
  /**
   * What to check after the install, after the SSH check.
   * @default - none
   */
  readonly checks?: readonly string[];
  /**
   * The keys of the steps that must be done first.
   * @default - none
   */
  readonly after?: readonly string[];
}

/** What one model area adds to the runbook. */
export interface RunbookContribution {
  /**
   * Steps of their own; a key that an earlier contributor gave already is left out.
   * @default - none
   */
  readonly steps?: readonly PhasedRunbookStep[];
  /**
   * Parts of the host install steps.
   * @default - none
   */
  readonly hostParts?: readonly HostStepPart[];
}

/** One model area's part of the runbook: reads its constructs, states its steps. */
export type RunbookContributor = (lab: Homelab) => RunbookContribution;

/** How the key of a step that installs a host begins. */
export const HOST_STEP_PREFIX = 'host:';

/** The key of the step that installs a host (bare metal or guest): `host:maxdata`. */
export function hostStepKey(host: { readonly hostName: string }): string {
  return `${HOST_STEP_PREFIX}${host.hostName}`;
}

/** A step done by hand, with no checks and nothing before it. */
export function byHand(key: string, title: string, commands: readonly string[] = []): PhasedRunbookStep {
  return { phase: RunbookPhase.BY_HAND, step: { key: `manual:${key}`, title, manual: true, commands, checks: [], after: [] } };
}

/** Keys without repeats, in first-seen order. */
export function unique(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}
