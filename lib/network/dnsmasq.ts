import { Construct, IConstruct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, isDiagramPartHolder, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import * as ipaddr from 'ipaddr.js';
import { DnsUpstream, IDnsUpstream } from '../core/dns';
import { Homelab } from '../core/homelab';
import { Network } from '../core/network';
import { INetworkEndpoint } from '../core/network-endpoint';
import { isPortNumber, Protocol } from '../core/ports';
import { Annotations, displayPath, problem } from '../core/validation';
import { Addressing, Host } from '../hosts/host';
import { DnsmasqLease, DnsmasqLeaseProps } from './dnsmasq-lease';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex } from '../core/kind';

/** Props of {@link Dnsmasq}. */
export interface DnsmasqProps {
  /**
   * The DNS servers dnsmasq forwards to, in order. The first is asked while it answers; the next
   * ones only when it fails (see {@link Dnsmasq}). Put a filtering resolver such as AdGuard Home
   * first and public resolvers after it, so DNS keeps working while the filter is down.
   * @default [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE]
   */
  readonly upstreams?: IDnsUpstream[];
  /**
   * How long a DHCP lease lasts, as dnsmasq writes it: seconds, or a number with `m`, `h`, `d`
   * or `w`, or `infinite`. At least two minutes.
   * @default "12h"
   */
  readonly leaseTime?: string;
  /**
   * Where dnsmasq keeps its leases: a file in a folder of its own (the host's module creates the
   * folder, setting its mode), not in a shared one such as `/tmp`, `/var` or `/var/lib`.
   * @default "/var/lib/misc/dnsmasq.leases"
   */
  readonly leasesFile?: string;
  /**
   * The interface dnsmasq serves DNS and DHCP on (the loopback interface is always served too).
   * @default - the interface that holds the host's address (its bridge, on a Proxmox host)
   */
  readonly interfaceName?: string;
  /**
   * Answer DHCP requests for unknown leases at once (`dhcp-authoritative`). Right when dnsmasq
   * is the only DHCP server on the network; turn the router's DHCP server off.
   * @default true
   */
  readonly authoritative?: boolean;
}

/** A static lease dnsmasq hands out: one for every network endpoint with a MAC address. */
export interface StaticLease {
  /** The device's MAC address, lower case. */
  readonly macAddress: string;
  /** The address it always gets. */
  readonly ipAddress: string;
  /** Its host name. */
  readonly hostName: string;
  /** The construct that owns the address (a Host, a VM, a {@link DnsmasqLease}). */
  readonly endpoint: INetworkEndpoint;
}

/** A name dnsmasq answers in the lab's domain, with its reverse (PTR) record. */
export interface DnsRecord {
  /** The short name (`maxdata`). */
  readonly hostName: string;
  /** The fully qualified name (`maxdata.local`). */
  readonly fqdn: string;
  /** The address. */
  readonly ipAddress: string;
}

const DNSMASQ = Kind.named<Dnsmasq>('Dnsmasq');

/** The least lease time dnsmasq accepts, in seconds. */
const MIN_LEASE_SECONDS = 120;

/**
 * The lab's DHCP and DNS server, on one of its hosts (the network anchor, a Raspberry Pi in the
 * reference lab). Everything it serves comes from the model:
 *
 * - DHCP on the lab network: the Network's dynamic range, the gateway as router, the Network's
 *   DNS servers (this host, once a Dnsmasq exists) as DNS option, and a static lease for every
 *   network endpoint with a MAC address: hosts, VMs and explicit {@link DnsmasqLease}s. Nobody
 *   writes an IP or a MAC twice.
 * - DNS on port 53: the lab's names (every endpoint, `name` and `name.<domain>`, with PTR
 *   records) answered locally, everything else forwarded to the upstreams in order.
 *
 * It reserves 53/tcp, 53/udp and 67/udp on its host, so a second DNS or DHCP service there is a
 * port clash, and it makes its host the lab's DNS server (`Network.dnsServers`).
 *
 * ```ts
 * const dnsmasq = new Dnsmasq(pi, 'dnsmasq', { upstreams: [adguard, DnsUpstream.CLOUDFLARE] });
 * dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '192.168.178.20' });
 * ```
 */
export class Dnsmasq extends Construct implements IHostRoleHolder, IDiagramPartHolder {
  /** Is `x` a Dnsmasq (of any copy of this library)? */
  public static isDnsmasq(x: unknown): x is Dnsmasq {
    return DNSMASQ.is(x);
  }

  /** The Dnsmasq servers of a lab, sorted by construct path. */
  public static all(lab: IConstruct): Dnsmasq[] {
    return [...DNSMASQ.under(lab)].sort(byText((x) => x.node.path));
  }

  /** The host dnsmasq runs on. */
  public readonly host: Host;
  /** The upstream DNS servers, in the order they are asked. */
  public readonly upstreams: readonly IDnsUpstream[];
  /** The DHCP lease time. */
  public readonly leaseTime: string;
  /** The leases file. */
  public readonly leasesFile: string;
  /** Whether dnsmasq is the network's authoritative DHCP server. */
  public readonly authoritative: boolean;

  private readonly explicitInterfaceName?: string;

  public constructor(host: Host, id: string, props: DnsmasqProps = {}) {
    super(host, claimId(host, id));
    checkProps(this, 'DnsmasqProps', props);
    DNSMASQ.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    this.host = host;
    this.upstreams = [...(props.upstreams ?? [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE])];
    this.leaseTime = props.leaseTime ?? '12h';
    this.leasesFile = props.leasesFile ?? '/var/lib/misc/dnsmasq.leases';
    this.authoritative = props.authoritative ?? true;
    this.explicitInterfaceName = props.interfaceName;

    host.reservePort(this, { port: 53, protocol: Protocol.UDP, description: 'dnsmasq DNS' });
    host.reservePort(this, { port: 53, protocol: Protocol.TCP, description: 'dnsmasq DNS' });
    host.reservePort(this, { port: 67, protocol: Protocol.UDP, description: 'dnsmasq DHCP' });
    Network.of(this).useDnsServersFrom(() => [host.ipAddress]);
    this.node.addValidation({ validate: () => this.validateDnsmasq() });
  }

  /** The lab's network. */
  public get network(): Network {
    return Network.of(this);
  }

  /** The lab's DNS domain, which dnsmasq answers for. */
  public get domain(): string {
    return Homelab.of(this).domain;
  }

  /**
   * The interface dnsmasq serves: the one that holds the host's address. On a Proxmox host that
   * is the bridge (vmbr0), not the NIC under it: DHCP requests arriving on a bridge port are
   * delivered on the bridge, so dnsmasq bound to the port would answer nothing (the real dnsmasq
   * in network namespaces shows it: test/network/dnsmasq-netns.test.ts).
   */
  public get interfaceName(): string | undefined {
    return this.explicitInterfaceName ?? this.host.addressInterfaceName;
  }

  /** Adds a static lease for a device that is not otherwise in the model. */
  public addLease(id: string, props: DnsmasqLeaseProps): DnsmasqLease {
    return new DnsmasqLease(this, id, props);
  }

  /** Every static lease, sorted by address. */
  public get leases(): StaticLease[] {
    return staticLeases(this.network);
  }

  /** Every name dnsmasq answers locally, sorted by address. */
  public get dnsRecords(): DnsRecord[] {
    return dnsRecords(this.network, this.domain);
  }

  private validateDnsmasq(): string[] {
    const errors: string[] = [];
    if (this.host.addressing !== Addressing.STATIC) {
      errors.push(problem(`the DHCP server's host ${this.host.hostName} gets its own address by DHCP`, 'set addressing: Addressing.STATIC on the host'));
    }
    if (!this.interfaceName) {
      errors.push(problem('dnsmasq needs the interface it serves', 'set interfaceName on the host or on the Dnsmasq'));
    } else if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(this.interfaceName)) {
      errors.push(problem(`interface name "${this.interfaceName}" is not a Linux interface name`, 'use at most 15 letters, digits, ".", "_" or "-"'));
    }
    const seconds = leaseSeconds(this.leaseTime);
    if (seconds === undefined) {
      errors.push(problem(`lease time "${this.leaseTime}" is not a dnsmasq lease time`, 'write seconds or a number with m, h, d or w (e.g. "12h"), or "infinite"'));
    } else if (seconds < MIN_LEASE_SECONDS) {
      errors.push(problem(`lease time "${this.leaseTime}" is shorter than the two minutes dnsmasq accepts`, 'use at least "2m"'));
    }
    if (!/^\/[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/.test(this.leasesFile) || this.leasesFile.split('/').some((s) => s === '..' || s === '.')) {
      errors.push(problem(`leases file "${this.leasesFile}" is not an absolute path of plain segments`, 'give a path such as "/var/lib/misc/dnsmasq.leases"'));
    } else if (isSharedFolder(leasesFolder(this.leasesFile))) {
      // The host's module creates the folder with a systemd-tmpfiles `d` rule, which also sets
      // the mode and owner of a folder that exists: on /tmp it would take away the sticky bit.
      errors.push(
        problem(
          `the leases file ${this.leasesFile} is in ${leasesFolder(this.leasesFile)}, a folder the system shares; the rule that creates the leases folder would set its mode to 0755 root:root at every boot`,
          'put the leases file in a folder of its own, such as "/var/lib/dnsmasq/dnsmasq.leases" (NixOS\'s dnsmasq module creates that folder itself)',
        ),
      );
    }
    errors.push(...this.validateUpstreams());
    const servers = DNSMASQ_SERVERS.of(this);
    if (servers.length > 1 && servers[0] !== this) {
      errors.push(problem(`the lab already has a DHCP server, ${displayPath(servers[0])}; two on one network hand out conflicting leases`, 'keep one Dnsmasq per lab'));
    }
    if (this.domain === 'local' || this.domain.endsWith('.local')) {
      Annotations.of(this).addWarning(
        problem(
          `the domain "${this.domain}" is also mDNS's (RFC 6762): clients with mDNS (macOS, Linux with nss-mdns) ask multicast DNS for *.local and may never ask dnsmasq`,
          'use "home.arpa" (RFC 8375) as the lab\'s domain, or accept that those clients resolve lab names only through mDNS',
        ),
        'homelab-cdk:mdns-domain',
      );
    }
    return errors;
  }

  private validateUpstreams(): string[] {
    const errors: string[] = [];
    if (this.upstreams.length === 0) {
      errors.push(problem('dnsmasq has no upstream DNS server, so it answers only the lab\'s own names', 'give upstreams, such as [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE]'));
    }
    const seen = new Set<string>();
    for (const upstream of this.upstreams) {
      const server = dnsmasqServer(upstream);
      if (!ipaddr.isValid(upstream.dnsAddress) || (ipaddr.IPv4.isIPv4(upstream.dnsAddress) && !ipaddr.IPv4.isValidFourPartDecimal(upstream.dnsAddress))) {
        errors.push(problem(`upstream "${upstream.dnsAddress}" (${upstream.dnsDescription}) is not an IP address`, 'give the DNS server\'s IPv4 or IPv6 address'));
        continue;
      }
      if (!isPortNumber(upstream.dnsPort)) {
        errors.push(problem(`upstream ${upstream.dnsAddress} (${upstream.dnsDescription}) has port ${upstream.dnsPort}, which is not a port number`, 'use a port from 1 to 65535'));
        continue;
      }
      if (seen.has(server)) {
        errors.push(problem(`upstream ${server} is listed twice`, 'list each upstream once'));
      }
      seen.add(server);
      if (this.isOwnAddress(upstream.dnsAddress) && upstream.dnsPort === 53) {
        errors.push(problem(`upstream ${server} (${upstream.dnsDescription}) is dnsmasq itself, a forwarding loop`, 'forward to another server, or to a local one on another port (AdGuard Home on 5353)'));
      }
    }
    if (this.upstreams.length > 0 && this.upstreams.every((u) => this.isOwnAddress(u.dnsAddress))) {
      Annotations.of(this).addWarning(
        problem(
          `every upstream runs on ${this.host.hostName} itself (${this.upstreams.map(dnsmasqServer).join(', ')}); while it is down (at boot, before the cluster has started it) the lab has no DNS`,
          'add a fallback after it, such as DnsUpstream.CLOUDFLARE',
        ),
        'homelab-cdk:dns-without-fallback',
      );
    }
    return errors;
  }

  private isOwnAddress(address: string): boolean {
    return address === this.host.ipAddress || isLoopback(address);
  }

  /** The role it gives its host: the lab's DHCP and DNS server. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: 'DHCP/DNS (dnsmasq)', diagram: 'dnsmasq' }];
  }

  /** What it adds to the diagram: the forwarding to the upstreams of the lab. */
  public diagramParts(): DiagramParts {
    // Upstreams that are constructs of the lab draw themselves (AdGuard Home); the public resolvers are not drawn.
    return { edges: this.upstreams.filter((u): u is IDnsUpstream & IDiagramPartHolder => isDiagramPartHolder(u)).map((upstream) => ({ from: this.host, to: upstream, label: `DNS :${upstream.dnsPort}`, arrow: true })) };
  }
}

/** Every network endpoint with a MAC address, as a static lease; sorted by address. */
export function staticLeases(network: Network): StaticLease[] {
  return network.endpoints
    .filter((e) => e.macAddress !== undefined)
    .map((e) => ({ macAddress: e.macAddress!, ipAddress: e.ipAddress, hostName: e.endpointName, endpoint: e }));
}

/** The lab's names: every network endpoint, short and fully qualified; sorted by address. */
export function dnsRecords(network: Network, domain: string): DnsRecord[] {
  const devices = network.endpoints.map((e) => ({ hostName: e.endpointName, fqdn: `${e.endpointName}.${domain}`, ipAddress: e.ipAddress }));
  // Added names come after the devices: dnsmasq answers a reverse lookup with the first
  // host-record of an address, which is then the device's own name.
  const names = network.dnsNames.flatMap((n) => n.addresses.map((ipAddress) => ({ hostName: n.name, fqdn: `${n.name}.${domain}`, ipAddress })));
  return [...devices, ...names];
}

/** An upstream as dnsmasq's `server=` takes it: the address, then `#port` unless it is 53. */
export function dnsmasqServer(upstream: IDnsUpstream): string {
  return upstream.dnsPort === 53 ? upstream.dnsAddress : `${upstream.dnsAddress}#${upstream.dnsPort}`;
}

/** The folder of a leases file (`/var/lib/misc` for `/var/lib/misc/dnsmasq.leases`). */
function leasesFolder(leasesFile: string): string {
  const folder = leasesFile.slice(0, leasesFile.lastIndexOf('/'));
  return folder === '' ? '/' : folder;
}

/** Folders where nothing of ours may set the mode: the root, each top-level folder, and these. */
const SHARED_FOLDERS = new Set(['/var/lib', '/var/cache', '/var/log', '/var/spool', '/var/run', '/var/lock', '/var/db', '/var/empty', '/var/mail', '/run/lock', '/srv/http', '/usr/local']);

/** Trees that belong to the system, to users or to everyone (world-writable): no leases folder there. */
const SHARED_TREES = ['/tmp', '/var/tmp', '/dev', '/proc', '/sys', '/nix', '/usr', '/etc', '/boot', '/home', '/root', '/run/user', '/run/wrappers', '/run/secrets', '/run/current-system', '/run/booted-system', '/bin', '/sbin', '/lib', '/lib64'];

/**
 * Is this a folder the system shares (`/`, `/tmp`, `/var`, `/var/lib`, anything under `/etc` or
 * `/home`), where a tmpfiles rule for the leases folder would change the mode of others' files?
 */
function isSharedFolder(folder: string): boolean {
  const depth = folder.split('/').filter((s) => s !== '').length;
  return depth < 2 || SHARED_FOLDERS.has(folder) || SHARED_TREES.some((tree) => folder === tree || folder.startsWith(`${tree}/`));
}

/** A dnsmasq lease time in seconds (`infinite` as Infinity), or undefined when malformed. */
export function leaseSeconds(leaseTime: string): number | undefined {
  if (leaseTime === 'infinite') {
    return Infinity;
  }
  const m = /^(\d+)([smhdw]?)$/.exec(leaseTime);
  if (!m) {
    return undefined;
  }
  const unit: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return Number(m[1]) * unit[m[2]];
}

function isLoopback(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.parse(address).range() === 'loopback';
}

/** Every Dnsmasq of the lab, once per validation run. */
const DNSMASQ_SERVERS = runIndex((root) => Dnsmasq.all(root));
