import { Construct, IConstruct } from 'constructs';
import {
  cidrContains,
  isIpv4Cidr,
  ipInRange,
  ipv4ToInt,
  isIpv4,
  isUsableHostAddress,
  netmask,
  parseIpv4Cidr,
} from './addressing';
import { INetworkEndpoint, NETWORK_ENDPOINT } from './network-endpoint';
import { displayPath, problem } from './validation';
import { compareText } from './order';
import { isHostName } from './names';
import { claimId, recordError } from './problems';
import { checkProps } from './props-check';
import { Kind, runIndexPer } from './kind';

/** An inclusive range of IPv4 addresses. */
export interface AddressRange {
  /** First address of the range. */
  readonly start: string;
  /** Last address of the range. */
  readonly end: string;
}

/** A name the lab's DNS answers that is not a device's own (see {@link Network.addDnsNames}). */
export interface DnsName {
  /** The name under the lab's domain (`k3s-api`). */
  readonly name: string;
  /** Its addresses, each an address of the lab network. */
  readonly addresses: readonly string[];
}

/** A {@link DnsName} with the construct that added it. */
export interface OwnedDnsName extends DnsName {
  /** The construct that added the name (a K3sCluster for its registration address). */
  readonly owner: IConstruct;
}

/** Props of {@link Network}. */
export interface NetworkProps {
  /**
   * The network in CIDR form, as its network address and prefix, e.g. `192.168.178.0/24`
   * (`192.168.178.5/24`, with host bits set, is refused).
   */
  readonly cidr: string;
  /**
   * The router's address: the default route of every host and the DHCP router option.
   * @default - the first usable address of the network (`.1` of a /24)
   */
  readonly gateway?: string;
  /**
   * The dynamic DHCP pool. Static addresses must lie outside it.
   * @default - no dynamic pool: DHCP serves static leases only
   */
  readonly dhcpRange?: AddressRange;
  /**
   * Name of the Linux bridge that carries this network into VMs on a hypervisor.
   * @default "vmbr0"
   */
  readonly bridgeName?: string;
  /**
   * Allow static addresses inside the dynamic DHCP range. Safe only when the DHCP server never
   * hands out an address it holds a static lease for (dnsmasq skips such addresses); with any
   * other DHCP server keep the static addresses outside the range.
   * @default false
   */
  readonly allowStaticAddressesInDhcpRange?: boolean;
  /**
   * DNS servers the lab's hosts use, in order.
   * @default - the gateway, until a DNS server of the lab (Dnsmasq) is declared
   */
  readonly dnsServers?: string[];
}

const NETWORK = Kind.named<Network>('Network');
/** The mark of a Homelab (see homelab.ts, which imports this file). */
const HOMELAB = Kind.named<object>('Homelab');

/**
 * The lab's LAN: its addresses, gateway and DHCP pool. Every {@link INetworkEndpoint} of the lab
 * (hosts, VMs, leases) is checked against it: inside the network, outside the dynamic pool, and
 * with an IP, MAC and name of its own.
 */
export class Network extends Construct {
  /** Is `x` a Network (of any copy of this library)? */
  public static isNetwork(x: unknown): x is Network {
    return NETWORK.is(x);
  }

  /** The lab's network, found from any construct of the lab. */
  public static of(scope: IConstruct): Network {
    const root = scope.node.root;
    // A Homelab's first child is its network: take it without listing the root's children,
    // which grow with the lab (every endpoint asks, so a scan would make validation quadratic).
    const own = HOMELAB.is(root) ? (root as { network?: unknown }).network : undefined;
    const network = Network.isNetwork(own) ? own : root.node.children.find(Network.isNetwork);
    if (!network) {
      throw new Error(`${scope.node.path}: ${problem('the lab has no Network', 'create the Homelab with a network')}`);
    }
    return network;
  }

  /**
   * Declares a device on the lab network. Call it in the endpoint's constructor: it marks the
   * construct and adds the validation that reports its address problems on its own path.
   */
  public static registerEndpoint(endpoint: INetworkEndpoint): void {
    NETWORK_ENDPOINT.mark(endpoint);
    endpoint.node.addValidation({ validate: () => Network.of(endpoint).problemsOf(endpoint) });
  }

  /** The network address in CIDR form, normalized (`192.168.178.0/24`). */
  public readonly cidr: string;
  /** The default gateway. */
  public readonly gateway: string;
  /** The dynamic DHCP pool, if any. */
  public readonly dhcpRange?: AddressRange;
  /** The bridge that carries this network into VMs. */
  public readonly bridgeName: string;
  /** Prefix length of the network (24 for a /24). */
  public readonly prefixLength: number;
  /** Whether static addresses may lie inside the dynamic range (the DHCP server reserves them). */
  public readonly allowStaticAddressesInDhcpRange: boolean;

  private readonly explicitDnsServers?: string[];
  private dnsServerProvider?: () => string[];
  private readonly dnsNameProviders: Array<{ readonly owner: IConstruct; readonly provider: () => readonly DnsName[] }> = [];
  private readonly givenCidr: string;

  public constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'NetworkProps', props);
    NETWORK.mark(this);
    let parsed: { network: string; prefixLength: number };
    try {
      parsed = parseIpv4Cidr(props.cidr);
    } catch (e) {
      // Reported with the other findings; the checks of the endpoints go on against a stand-in.
      recordError(this, (e as Error).message);
      parsed = { network: '0.0.0.0', prefixLength: 0 };
    }
    this.cidr = `${parsed.network}/${parsed.prefixLength}`;
    this.givenCidr = props.cidr;
    this.prefixLength = parsed.prefixLength;
    this.gateway = props.gateway ?? firstHostAddress(this.cidr);
    this.dhcpRange = props.dhcpRange;
    this.bridgeName = props.bridgeName ?? 'vmbr0';
    this.allowStaticAddressesInDhcpRange = props.allowStaticAddressesInDhcpRange ?? false;
    this.explicitDnsServers = props.dnsServers;

    this.node.addValidation({ validate: () => this.validateOwnSettings() });
  }

  /** The netmask in dotted form. */
  public get netmask(): string {
    return netmask(this.cidr);
  }

  /** The DNS servers the lab's hosts use. */
  public get dnsServers(): string[] {
    return this.explicitDnsServers ?? this.dnsServerProvider?.() ?? [this.gateway];
  }

  /**
   * Makes a construct of the lab (a DNS server such as Dnsmasq) the source of
   * {@link dnsServers}, unless the props named them explicitly.
   */
  public useDnsServersFrom(provider: () => string[]): void {
    this.dnsServerProvider = provider;
  }

  /** Does a construct of the lab (a DNS server such as Dnsmasq) answer the lab's names? */
  public get servesLabNames(): boolean {
    return this.dnsServerProvider !== undefined;
  }

  /**
   * Makes the lab's DNS answer further names, each with one or more addresses of the lab: a
   * cluster's fixed registration address answered with every server, say. `provider` is asked
   * when the names are read (the tree is complete then).
   */
  public addDnsNames(owner: IConstruct, provider: () => readonly DnsName[]): void {
    this.dnsNameProviders.push({ owner, provider });
  }

  /** The names added with {@link addDnsNames}, with their owners. */
  public get dnsNames(): OwnedDnsName[] {
    return this.dnsNameProviders.flatMap(({ owner, provider }) => provider().map((n) => ({ ...n, owner })));
  }

  /** Is the address inside this network? */
  public contains(address: string): boolean {
    return cidrContains(this.cidr, address);
  }

  /** Is the address inside the dynamic DHCP pool? */
  public inDynamicRange(address: string): boolean {
    return this.dhcpRange !== undefined && isIpv4(address) && ipInRange(address, this.dhcpRange.start, this.dhcpRange.end);
  }

  /** Every device with an address on this network, sorted by IP address then path. */
  public get endpoints(): INetworkEndpoint[] {
    return [...SORTED_ENDPOINTS(this)];
  }

  private validateOwnSettings(): string[] {
    const errors: string[] = [];
    errors.push(...cidrSpellingProblems('network', this.givenCidr));
    if (!isUsableHostAddress(this.cidr, this.gateway)) {
      errors.push(problem(`gateway ${this.gateway} is not a usable address of ${this.cidr}`, `set gateway to the router's address inside ${this.cidr}`));
    }
    const range = this.dhcpRange;
    if (range) {
      for (const [label, address] of [['start', range.start], ['end', range.end]] as const) {
        if (!isUsableHostAddress(this.cidr, address)) {
          errors.push(problem(`DHCP range ${label} ${address} is not a usable address of ${this.cidr}`, `choose a dhcpRange inside ${this.cidr}`));
        }
      }
      if (isIpv4(range.start) && isIpv4(range.end) && ipv4ToInt(range.start) > ipv4ToInt(range.end)) {
        errors.push(problem(`DHCP range starts at ${range.start}, after its end ${range.end}`, 'swap start and end'));
      }
      if (isIpv4(range.start) && isIpv4(range.end) && this.inDynamicRange(this.gateway)) {
        errors.push(problem(`the DHCP range ${range.start}–${range.end} contains the gateway ${this.gateway}`, 'move the range so that it excludes the gateway'));
      }
    }
    for (const server of this.explicitDnsServers ?? []) {
      if (!isIpv4(server)) {
        errors.push(problem(`DNS server "${server}" is not an IPv4 address`, 'give dnsServers as IPv4 addresses'));
      }
    }
    errors.push(...this.dnsNameProblems());
    return errors;
  }

  /** Added names must be names, distinct from every device's, with addresses of this network. */
  private dnsNameProblems(): string[] {
    const errors: string[] = [];
    const devices = new Set(this.endpoints.map((e) => e.endpointName));
    const seen = new Map<string, IConstruct>();
    for (const { name, addresses, owner } of this.dnsNames) {
      if (!isHostName(name)) {
        errors.push(problem(`${displayPath(owner)} adds the DNS name "${name}", which is not a host name`, 'use lower-case letters, digits and "-" (one label; the lab\'s domain is appended)'));
      } else if (devices.has(name)) {
        errors.push(problem(`${displayPath(owner)} adds the DNS name ${name}, which is already a device's name`, 'choose another name'));
      } else if (seen.has(name) && seen.get(name) !== owner) {
        errors.push(problem(`${displayPath(owner)} and ${displayPath(seen.get(name)!)} both add the DNS name ${name}`, 'give them different names'));
      }
      seen.set(name, owner);
      for (const address of addresses) {
        if (!this.contains(address)) {
          errors.push(problem(`${displayPath(owner)} answers ${name} with ${address}, which is outside the network ${this.cidr}`, `give it addresses inside ${this.cidr}`));
        }
      }
    }
    return errors;
  }

  /** The address problems of one endpoint; all endpoints are indexed once per validation run. */
  public problemsOf(endpoint: INetworkEndpoint): string[] {
    const all = ENDPOINT_PROBLEMS(this);
    return all.get(endpoint) ?? [];
  }
}

/**
 * Problems of a network written otherwise than as its network address and prefix: host bits set
 * (`10.0.0.5/24`, which means 10.0.0.0/24 and is likely a typo), or a prefix such as `/08`.
 */
export function cidrSpellingProblems(label: string, cidr: string): string[] {
  if (!isIpv4Cidr(cidr)) {
    return []; // not a CIDR at all: reported where it is parsed
  }
  const { network, prefixLength } = parseIpv4Cidr(cidr);
  const canonical = `${network}/${prefixLength}`;
  if (cidr === canonical) {
    return [];
  }
  return cidr.slice(0, cidr.indexOf('/')) !== network
    ? [problem(`the ${label} ${cidr} has host bits set: its network address is ${network}`, `write the network address, ${canonical}`)]
    : [problem(`the ${label} ${cidr} is not written as ${canonical}`, `write ${canonical}`)];
}

/**
 * The address problems of a set of endpoints on a network, by endpoint: an address that is not
 * IPv4, outside the network, inside the dynamic pool or the gateway's; an IP, MAC or host name
 * used twice (reported on every endpoint after the first, naming the first).
 */
export function checkEndpoints(network: Network, endpoints: readonly INetworkEndpoint[]): Map<INetworkEndpoint, string[]> {
  const problems = new Map<INetworkEndpoint, string[]>();
  const report = (e: INetworkEndpoint, message: string) => problems.set(e, [...(problems.get(e) ?? []), message]);
  const firstByIp = new Map<string, INetworkEndpoint>();
  const firstByMac = new Map<string, INetworkEndpoint>();
  const firstByName = new Map<string, INetworkEndpoint>();
  const claim = (index: Map<string, INetworkEndpoint>, key: string, e: INetworkEndpoint, what: string, fix: string) => {
    const first = index.get(key);
    if (first) {
      report(e, problem(`${what} ${key} is already used by ${displayPath(first)}`, fix));
    } else {
      index.set(key, e);
    }
  };
  for (const e of endpoints) {
    if (!isIpv4(e.ipAddress)) {
      report(e, problem(`IP address "${e.ipAddress}" is not an IPv4 address`, 'give a dotted-quad address such as 192.168.178.20'));
      continue;
    }
    if (!isUsableHostAddress(network.cidr, e.ipAddress)) {
      report(e, problem(`IP address ${e.ipAddress} is outside the usable addresses of the network ${network.cidr}`, `give it an address inside ${network.cidr}`));
    } else if (network.inDynamicRange(e.ipAddress) && !network.allowStaticAddressesInDhcpRange) {
      const r = network.dhcpRange!;
      report(
        e,
        problem(
          `static IP address ${e.ipAddress} is inside the dynamic DHCP range ${r.start}–${r.end}`,
          'choose an address outside the range or shrink the range (or, with a DHCP server that reserves leased addresses such as dnsmasq, set allowStaticAddressesInDhcpRange)',
        ),
      );
    }
    if (e.ipAddress === network.gateway) {
      report(e, problem(`IP address ${e.ipAddress} is the gateway's`, 'give the device an address of its own'));
    }
    claim(firstByIp, e.ipAddress, e, 'IP address', 'give each device its own address');
    if (e.macAddress !== undefined) {
      claim(firstByMac, e.macAddress, e, 'MAC address', 'give each device its own MAC address (or leave it out on a VM to have one derived)');
    }
    claim(firstByName, e.endpointName, e, 'host name', 'give each device its own name');
  }
  return problems;
}

/**
 * The endpoints sorted by IP address then path (an address that is no IPv4 address sorts by path
 * alone). Each address is parsed and each path made once, not in every comparison: the sort of
 * 4000 VMs' endpoints parsed addresses ~100,000 times, run after run of the checks (issue 17).
 */
function sortEndpoints(endpoints: readonly INetworkEndpoint[]): INetworkEndpoint[] {
  const keyed = endpoints.map((endpoint) => ({ endpoint, ip: isIpv4(endpoint.ipAddress) ? ipv4ToInt(endpoint.ipAddress) : undefined, path: endpoint.node.path }));
  keyed.sort((a, b) => {
    const byIp = a.ip !== undefined && b.ip !== undefined ? a.ip - b.ip : 0;
    return byIp !== 0 ? byIp : compareText(a.path, b.path);
  });
  return keyed.map((k) => k.endpoint);
}

/** Every endpoint of a network's tree, sorted (see {@link sortEndpoints}), once per validation run. */
const SORTED_ENDPOINTS = runIndexPer((network: Network) => sortEndpoints(NETWORK_ENDPOINT.all(network)));

function firstHostAddress(cidr: string): string {
  const { network } = parseIpv4Cidr(cidr);
  const n = ipv4ToInt(network) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The address problems of each network's endpoints, once per validation run. */
const ENDPOINT_PROBLEMS = runIndexPer((network: Network) => checkEndpoints(network, network.endpoints));
