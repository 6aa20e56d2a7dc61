import { isPortNumber } from '../core/ports';
import { addValueProblem } from '../core/problems';
import { quoted } from '../core/readable';
import { problem } from '../core/validation';
import { Kind } from '../core/kind';

/** How a check reaches a host. */
export enum ReachabilityKind {
  /** One ICMP echo request. */
  PING = 'ping',
  /** A TCP connection to a port. */
  TCP = 'tcp',
}

const REACHABILITY_CHECK = Kind.named<ReachabilityCheck>('ReachabilityCheck');

/**
 * How to tell that a host is up: it answers a ping, or it accepts a TCP connection on a port
 * (the Proxmox web UI on 8006 says more than a ping: the hypervisor is ready, not just the
 * kernel). Construct with one of the static factories.
 */
export class ReachabilityCheck {
  /** Is `x` a ReachabilityCheck (of any copy of this library)? */
  public static isReachabilityCheck(x: unknown): x is ReachabilityCheck {
    return REACHABILITY_CHECK.is(x);
  }

  /** The host answers one ping. */
  public static ping(): ReachabilityCheck {
    return new ReachabilityCheck(ReachabilityKind.PING);
  }

  /** The host accepts a TCP connection on `port`. */
  public static tcpPort(port: number): ReachabilityCheck {
    const check = new ReachabilityCheck(ReachabilityKind.TCP, port);
    if (!isPortNumber(port)) {
      addValueProblem(check, (field) => problem(`${field}: ReachabilityCheck.tcpPort was given ${quoted(port)}, which is not a TCP port`, 'use a port from 1 to 65535'));
    }
    return check;
  }

  private constructor(
    /** Ping or TCP. */
    public readonly kind: ReachabilityKind,
    /** The TCP port, for {@link ReachabilityKind.TCP}. */
    public readonly port?: number,
  ) {
    REACHABILITY_CHECK.mark(this);
  }

  /** The check as the wake script takes it: `ping` or `tcp:<port>`. */
  public get spec(): string {
    return this.kind === ReachabilityKind.TCP ? `tcp:${this.port}` : 'ping';
  }

  /** A few words for logs and messages (`ping`, `TCP port 8006`). */
  public toString(): string {
    return this.kind === ReachabilityKind.TCP ? `TCP port ${this.port}` : 'ping';
  }
}
