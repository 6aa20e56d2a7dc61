/**
 * Ports that services hold on a host. Every construct that listens on a host reserves its port
 * there, so that two services on one port (Cockpit and Prometheus both default to 9090) are a
 * validation error, and the host's firewall opens exactly the reserved ports that ask for it.
 */
import { IConstruct } from 'constructs';

/** A transport protocol. */
export enum Protocol {
  TCP = 'tcp',
  UDP = 'udp',
}

/** A port a service holds on a host. */
export interface PortReservation {
  /** The port number, 1–65535. */
  readonly port: number;
  /** TCP or UDP. */
  readonly protocol: Protocol;
  /** What listens there, in a few words ("SSH", "Proxmox web UI"). */
  readonly description: string;
  /**
   * Open the port in the host's firewall.
   * @default true
   */
  readonly openFirewall?: boolean;
}

/** A reservation with the construct that made it. */
export interface HeldPort extends PortReservation {
  /** The construct that listens on the port. */
  readonly owner: IConstruct;
}

/** Is this a valid port number? */
export function isPortNumber(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
