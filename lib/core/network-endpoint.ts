/**
 * Anything with an address on the lab network: a Host, a plain VM, a printer's DHCP lease.
 * The Network checks all of them together (duplicates, addresses outside the network or inside
 * the dynamic DHCP range), and the DHCP server gives each one with a MAC a static lease.
 */
import { IConstruct } from 'constructs';
import { isMacAddress, isUnicastMac } from './addressing';
import { problem } from './validation';

/** A device on the lab network. */
export interface INetworkEndpoint extends IConstruct {
  /** The DNS/DHCP host name of the device. */
  readonly endpointName: string;
  /** Its static IPv4 address on the lab network. */
  readonly ipAddress: string;
  /** Its MAC address, lower case; undefined when unknown (then it gets no DHCP lease). */
  readonly macAddress: string | undefined;
}

const NETWORK_ENDPOINT = Symbol.for('homelab-cdk.NetworkEndpoint');

/** Marks a construct as an {@link INetworkEndpoint}; call it in the construct's constructor. */
export function markNetworkEndpoint(endpoint: INetworkEndpoint): void {
  Object.defineProperty(endpoint, NETWORK_ENDPOINT, { value: true });
}

/** Is `x` a network endpoint (of any copy of this library)? */
export function isNetworkEndpoint(x: unknown): x is INetworkEndpoint {
  return typeof x === 'object' && x !== null && NETWORK_ENDPOINT in x;
}

/**
 * What is wrong with a MAC address given for a device on the lab network: malformed, or a
 * multicast address (which no NIC has). Empty when it is fine.
 */
export function macAddressProblems(mac: string): string[] {
  if (!isMacAddress(mac)) {
    return [problem(`MAC address "${mac}" is malformed`, 'write six pairs of hex digits separated by ":" (aa:bb:cc:dd:ee:ff)')];
  }
  if (!isUnicastMac(mac)) {
    return [problem(`MAC address ${mac} is a multicast address`, "give the NIC's own (unicast) address")];
  }
  return [];
}
