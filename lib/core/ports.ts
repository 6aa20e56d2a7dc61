/**
 * Ports that services hold on a host. Every construct that listens on a host reserves its port
 * there, so that two services on one port (Cockpit and Prometheus both default to 9090) are a
 * validation error, and the host's firewall opens exactly the reserved ports that ask for it.
 */
import { IConstruct } from 'constructs';
import { Kind } from './kind';

/** A transport protocol. */
export enum Protocol {
  /** TCP: connections (SSH, HTTP, DNS over TCP). */
  TCP = 'tcp',
  /** UDP: datagrams (DNS queries, DHCP, Wake-on-LAN). */
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
  /**
   * Open it only to these sources (IPv4 addresses or CIDRs), for a service that must not be
   * reachable from the whole LAN (an unauthenticated exporter or log store): the firewall then
   * accepts the port from them alone, over IPv4.
   * @default - every source (when openFirewall)
   */
  readonly allowedFrom?: readonly string[];
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

/**
 * A construct that listens on hosts it finds in the tree rather than on one host it was given:
 * a Monitoring puts exporters on every host of the lab, including hosts declared after it. A host
 * asks every port holder of its lab for its ports whenever they are read, so such reservations
 * are checked for clashes and opened in the firewall like any other.
 */
export interface IPortHolder extends IConstruct {
  /** The ports this construct holds on `host` (none for a host it does not run on). */
  portsOn(host: IConstruct): readonly PortReservation[];
}

/** The kind of IPortHolder: `PORT_HOLDER.mark(this)` in the constructor, `PORT_HOLDER.is(x)` to recognise one (of any copy of the library). */
export const PORT_HOLDER = Kind.named<IPortHolder>('PortHolder');

