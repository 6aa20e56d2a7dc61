import { Construct } from 'constructs';
import { normalizeMac } from '../core/addressing';
import { isHostName } from '../core/names';
import { Network } from '../core/network';
import { INetworkEndpoint, macAddressProblems } from '../core/network-endpoint';
import { problem } from '../core/validation';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link DnsmasqLease}. */
export interface DnsmasqLeaseProps {
  /** The device's MAC address (`ip link`, or the label on the device). */
  readonly macAddress: string;
  /** The address dnsmasq always gives the device; inside the lab network. */
  readonly ipAddress: string;
  /**
   * The device's name: its DHCP host name and its DNS name in the lab's domain.
   * @default - the construct id
   */
  readonly hostName?: string;
}

const DNSMASQ_LEASE = Kind.named<DnsmasqLease>('DnsmasqLease');

/**
 * A static DHCP lease for a device the lab does not otherwise model: a printer, a phone, an
 * access point. Hosts and VMs need none: every network endpoint with a MAC address gets its
 * lease from the lab's {@link Dnsmasq} without one. A lease is itself a network endpoint, so the
 * Network checks it with all the others (inside the network, outside the dynamic range unless
 * the lab allows that, an IP, MAC and name of its own).
 *
 * ```ts
 * dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '192.168.178.20' });
 * ```
 */
export class DnsmasqLease extends Construct implements INetworkEndpoint {
  /** Is `x` a DnsmasqLease (of any copy of this library)? */
  public static isDnsmasqLease(x: unknown): x is DnsmasqLease {
    return DNSMASQ_LEASE.is(x);
  }

  /** The device's name. */
  public readonly hostName: string;
  /** Its static address. */
  public readonly ipAddress: string;

  private readonly givenMac: string;

  public constructor(scope: Construct, id: string, props: DnsmasqLeaseProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'DnsmasqLeaseProps', props);
    DNSMASQ_LEASE.mark(this);
    this.hostName = props.hostName ?? id;
    this.ipAddress = props.ipAddress;
    this.givenMac = props.macAddress;
    Network.registerEndpoint(this);
    this.node.addValidation({ validate: () => this.validateLease() });
  }

  /** The DNS/DHCP name (the host name). */
  public get endpointName(): string {
    return this.hostName;
  }

  /** The MAC address, lower case. */
  public get macAddress(): string {
    return normalizeMac(this.givenMac);
  }

  private validateLease(): string[] {
    const errors = macAddressProblems(this.givenMac);
    if (!isHostName(this.hostName)) {
      errors.push(problem(`host name "${this.hostName}" is not a valid host name`, 'use lower-case letters, digits and "-", at most 63 characters, not starting or ending with "-"'));
    }
    return errors;
  }
}
