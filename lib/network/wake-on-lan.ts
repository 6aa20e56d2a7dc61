import { Construct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { broadcastAddress } from '../core/addressing';
import { Network } from '../core/network';
import { displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { ReachabilityCheck } from './reachability-check';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link WakeOnLan}. */
export interface WakeOnLanProps {
  /** The host to wake. Its MAC address goes into the magic packet; its address is watched. */
  readonly target: Host;
  /**
   * The name of the systemd service (and its timer) on the sending host.
   * @default - the construct id
   */
  readonly serviceName?: string;
  /**
   * How to tell that the target is up.
   * @default ReachabilityCheck.ping()
   */
  readonly check?: ReachabilityCheck;
  /**
   * Magic packets sent before a run gives up (the next run of the timer starts over).
   * @default 8
   */
  readonly attempts?: number;
  /**
   * Seconds to wait after the first packet before checking again; each further wait doubles,
   * up to {@link maxDelaySeconds}.
   * @default 10
   */
  readonly initialDelaySeconds?: number;
  /**
   * The longest wait between two packets, in seconds.
   * @default 300
   */
  readonly maxDelaySeconds?: number;
  /**
   * How often the timer checks the target again (and wakes it if it is down), as a systemd
   * time span.
   * @default "5min"
   */
  readonly watchInterval?: string;
}

/** The UDP port magic packets are sent to (the discard port, as wakeonlan does by default). */
export const MAGIC_PACKET_PORT = 9;

/** Seconds a single reachability check may take. */
export const CHECK_TIMEOUT_SECONDS = 3;

const WAKE_ON_LAN = Kind.named<WakeOnLan>('WakeOnLan');

/**
 * Wakes a host by Wake-on-LAN from another one: in the reference lab the Raspberry Pi, which is
 * always on, wakes the Proxmox host after a power cut. On the sending host a systemd service
 * runs once the network is up: if the target does not answer, it sends a magic packet to the
 * target's MAC address (from the target's Host construct) on the lab's broadcast address, waits,
 * checks again, and retries with a doubling delay, logging each step. Its timer starts it 30 s
 * after boot and again every {@link WakeOnLanProps.watchInterval}, so the target's health stays
 * watched and it is woken again after it went down; the service never holds up the sender's boot
 * or `nixos-rebuild switch`. To keep the target down on purpose, put a pause file (see the
 * README) on the sender. The target arms Wake-on-LAN at every boot on the NIC whose permanent
 * MAC is its `macAddress`, and checks that the NIC reports `Wake-on: g`.
 *
 * ```ts
 * new WakeOnLan(pi, 'wake-proxmox', { target: maxdata, check: ReachabilityCheck.tcpPort(8006) });
 * ```
 */
export class WakeOnLan extends Construct implements IHostRoleHolder, IDiagramPartHolder {
  /** Is `x` a WakeOnLan (of any copy of this library)? */
  public static isWakeOnLan(x: unknown): x is WakeOnLan {
    return WAKE_ON_LAN.is(x);
  }

  /** The host that sends the magic packets. */
  public readonly host: Host;
  /** The host it wakes. */
  public readonly target: Host;
  /** The systemd service's name. */
  public readonly serviceName: string;
  /** How the target's health is checked. */
  public readonly check: ReachabilityCheck;
  /** Packets per run. */
  public readonly attempts: number;
  /** First wait, in seconds. */
  public readonly initialDelaySeconds: number;
  /** Longest wait, in seconds. */
  public readonly maxDelaySeconds: number;
  /** How often the timer runs the service again. */
  public readonly watchInterval: string;

  public constructor(host: Host, id: string, props: WakeOnLanProps) {
    super(host, claimId(host, id));
    checkProps(this, 'WakeOnLanProps', props);
    WAKE_ON_LAN.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    this.host = host;
    this.target = props.target;
    this.serviceName = props.serviceName ?? id;
    this.check = props.check ?? ReachabilityCheck.ping();
    this.attempts = props.attempts ?? 8;
    this.initialDelaySeconds = props.initialDelaySeconds ?? 10;
    this.maxDelaySeconds = props.maxDelaySeconds ?? 300;
    this.watchInterval = props.watchInterval ?? '5min';
    if (this.initialDelaySeconds > this.maxDelaySeconds) {
      recordError(this, problem(`initialDelaySeconds (${this.initialDelaySeconds}) is above maxDelaySeconds (${this.maxDelaySeconds})`, 'make initialDelaySeconds the smaller one'));
    }
    this.node.addValidation({ validate: () => this.validateWakeOnLan() });
  }

  /** The lab network's broadcast address, where the magic packets go. */
  public get broadcastAddress(): string {
    return broadcastAddress(Network.of(this).cidr);
  }

  /** The waits of one run, in seconds: after each packet, before the next check. */
  public get delays(): number[] {
    return backoffDelays(this.initialDelaySeconds, this.maxDelaySeconds, this.attempts);
  }

  private validateWakeOnLan(): string[] {
    const errors: string[] = [];
    const target = this.target;
    if (target === this.host) {
      errors.push(problem(`${this.host.hostName} cannot wake itself`, 'target another host'));
    }
    if (target.hardware.isVirtualMachine) {
      errors.push(problem(`${displayPath(target)} is a virtual machine, which its hypervisor starts; a magic packet does not`, 'wake the hypervisor instead, and let it start the VM on boot'));
    }
    if (target.macAddress === undefined) {
      errors.push(problem(`${displayPath(target)} has no MAC address, so there is nothing to wake it with`, `set macAddress on ${target.hostName} to its NIC's address (ip link)`));
    }
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(this.serviceName)) {
      errors.push(problem(`service name "${this.serviceName}" is not a plain systemd unit name`, 'use lower-case letters, digits and "-"'));
    } else {
      const same = this.host.node.findAll().filter(WakeOnLan.isWakeOnLan).find((w) => w !== this && w.serviceName === this.serviceName);
      if (same) {
        errors.push(problem(`service name ${this.serviceName} is also used by ${displayPath(same)}`, 'give each WakeOnLan on a host its own serviceName'));
      }
    }
    for (const [name, value] of [['attempts', this.attempts], ['initialDelaySeconds', this.initialDelaySeconds], ['maxDelaySeconds', this.maxDelaySeconds]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        errors.push(problem(`${name} is ${value}`, `give ${name} as a whole number of at least 1`));
      }
    }
    if (!/^[1-9]\d*\s?(s|sec|min|m|h|d|w)$/.test(this.watchInterval)) {
      errors.push(problem(`watch interval "${this.watchInterval}" is not a systemd time span`, 'write a number with a unit, such as "5min" or "1h"'));
    }
    return errors;
  }

  /** The role it gives its host: the host that sends the magic packet. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `wakes ${this.target.hostName}` }];
  }

  /** What it adds to the diagram: the wake-up, from the waker to the target. */
  public diagramParts(): DiagramParts {
    return { edges: [{ from: this.host, to: this.target, label: 'Wake-on-LAN', dotted: true, arrow: true }] };
  }
}

/**
 * The waits of a wake run with exponential backoff: `initial`, doubling after each packet, never
 * above `max`, one per attempt (`backoffDelays(10, 60, 5)` is `[10, 20, 40, 60, 60]`).
 */
export function backoffDelays(initial: number, max: number, attempts: number): number[] {
  const delays: number[] = [];
  let delay = initial;
  for (let i = 0; i < attempts; i++) {
    delays.push(delay);
    delay = Math.min(delay * 2, max);
  }
  return delays;
}

/**
 * The longest a wake run can take, in seconds: a check and a packet per attempt, every wait,
 * and a final check. The service's start timeout is this with a margin.
 */
export function wakeRunSeconds(wake: WakeOnLan): number {
  const waits = wake.delays.reduce((sum, d) => sum + d, 0);
  return waits + (wake.attempts + 1) * CHECK_TIMEOUT_SECONDS;
}
