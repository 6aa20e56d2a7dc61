/**
 * Anything with an address on the lab network: a Host, a plain VM, a printer's DHCP lease.
 * The Network checks all of them together (duplicates, addresses outside the network or inside
 * the dynamic DHCP range), and the DHCP server gives each one with a MAC a static lease.
 */
import { IConstruct } from 'constructs';
import { isMacAddress, isUnicastMac } from './addressing';
import { problem } from './validation';
import { Kind } from './kind';

/** A device on the lab network. */
export interface INetworkEndpoint extends IConstruct {
  /** The DNS/DHCP host name of the device. */
  readonly endpointName: string;
  /** Its static IPv4 address on the lab network. */
  readonly ipAddress: string;
  /** Its MAC address, lower case; undefined when unknown (then it gets no DHCP lease). */
  readonly macAddress: string | undefined;
}

/** The kind of INetworkEndpoint: `NETWORK_ENDPOINT.mark(this)` in the constructor, `NETWORK_ENDPOINT.is(x)` to recognise one (of any copy of the library). */
export const NETWORK_ENDPOINT = Kind.named<INetworkEndpoint>('NetworkEndpoint');

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
