import { Construct, IConstruct } from 'constructs';
import { Homelab } from '../core/homelab';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, DiagramShape, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { ISummaryPartHolder, markSummaryPartHolder, SummaryPart, SummaryPartKind } from '../core/summary-part';
import { IMemoryReservation, memoryReservationsUnder } from '../core/memory';
import { Network } from '../core/network';
import { Protocol } from '../core/ports';
import { Size } from '../core/size';
import { Annotations, displayPath, problem } from '../core/validation';
import { Addressing, Host } from '../hosts/host';
import { NixSystem } from '../hosts/hardware-profile';
import { Bridge, BridgeProps } from './bridge';
import { ProxmoxStorage, ProxmoxStorageProps } from './proxmox-storage';
import type { ProxmoxCluster } from './proxmox-cluster';
import type { ProxmoxVm } from './proxmox-vm';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** The port of the Proxmox VE web UI and API (pveproxy). */
export const PROXMOX_API_PORT = 8006;

/** Cockpit, the web console for system management. */
export interface CockpitProps {
  /**
   * The port Cockpit listens on.
   * @default 9090
   */
  readonly port?: number;
}

/** Props of {@link ProxmoxHost}. */
export interface ProxmoxHostProps {
  /**
   * The LAN bridge: the bridge VM NICs attach to by default, over the host's interface and
   * carrying its static address.
   * @default - named after the lab network's bridgeName (vmbr0), over the host's interface,
   *   carrying the host's address
   */
  readonly bridge?: BridgeProps;
  /**
   * Cockpit, the web console for system management (`true` for the defaults).
   * @default false
   */
  readonly cockpit?: boolean | CockpitProps;
  /**
   * The first octets of the MAC addresses the library derives for this host's VMs (one to five
   * hex pairs, `02:10`). Derived MACs must stay locally administered unicast addresses (first
   * octet `x2`, `x6`, `xA` or `xE`).
   * @default - none: all six octets are derived
   */
  readonly macPrefix?: string;
}

const PROXMOX_HOST = Kind.named<ProxmoxHost>('ProxmoxHost');

/**
 * The Proxmox VE role of a NixOS host (experimental, through the SaumonNet/proxmox-nixos flake):
 * the hypervisor its VMs run on, its bridges and storages, and the API Terraform talks to.
 *
 * ```ts
 * const proxmox = new ProxmoxHost(maxdata, 'proxmox', { cockpit: true });
 * proxmox.addStorage('tank', { backing: StorageBacking.zfs(tank) });
 * ```
 */
export class ProxmoxHost extends Construct implements IHostRoleHolder, IDiagramPartHolder, ISummaryPartHolder {
  /** Is `x` a ProxmoxHost (of any copy of this library)? */
  public static isProxmoxHost(x: unknown): x is ProxmoxHost {
    return PROXMOX_HOST.is(x);
  }

  /** The Proxmox hosts of a lab, sorted by node name. */
  public static all(lab: IConstruct): ProxmoxHost[] {
    return [...PROXMOX_HOST.under(lab)].sort(byText((x) => x.nodeName));
  }

  /** The NixOS host. */
  public readonly host: Host;
  /** The LAN bridge. */
  public readonly lanBridge: Bridge;
  /** Cockpit's settings, when enabled. */
  public readonly cockpit?: Required<CockpitProps>;
  /** The prefix of derived VM MAC addresses, lower case, if any. */
  public readonly macPrefix?: string;

  private readonly placedVms: ProxmoxVm[] = [];
  private readonly memberships: ProxmoxCluster[] = [];

  public constructor(scope: Host, id: string, props: ProxmoxHostProps = {}) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ProxmoxHostProps', props);
    PROXMOX_HOST.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    markSummaryPartHolder(this);
    this.host = scope;
    this.macPrefix = props.macPrefix?.toLowerCase();
    const lan = props.bridge ?? {};
    const bridgeName = lan.name ?? Network.of(scope).bridgeName;
    this.lanBridge = new Bridge(this, bridgeName, {
      name: bridgeName,
      ports: lan.ports ?? (scope.interfaceName ? [scope.interfaceName] : []),
      carriesHostAddress: lan.carriesHostAddress ?? true,
    });
    if (props.cockpit) {
      this.cockpit = { port: (props.cockpit === true ? undefined : props.cockpit.port) ?? 9090 };
      scope.reservePort(this, { port: this.cockpit.port, protocol: Protocol.TCP, description: 'Cockpit' });
    }
    scope.reservePort(this, { port: PROXMOX_API_PORT, protocol: Protocol.TCP, description: 'Proxmox VE web UI and API' });
    this.node.addValidation({ validate: () => this.validateProxmoxHost() });
  }

  /** The Proxmox node name: the host name. */
  public get nodeName(): string {
    return this.host.hostName;
  }

  /** The host's address. */
  public get ipAddress(): string {
    return this.host.ipAddress;
  }

  /** The port of the web UI and API (8006). */
  public get webUiPort(): number {
    return PROXMOX_API_PORT;
  }

  /** The API endpoint (`https://<ip>:8006`), as the Terraform provider takes it. */
  public get apiEndpoint(): string {
    return `https://${this.ipAddress}:${PROXMOX_API_PORT}`;
  }

  /** The host's bridges, the LAN bridge first. */
  public get bridges(): Bridge[] {
    return this.node.children.filter(Bridge.isBridge);
  }

  /** The host's storages, in declaration order. */
  public get storages(): ProxmoxStorage[] {
    return this.node.children.filter(ProxmoxStorage.isProxmoxStorage);
  }

  /** The VMs that run here, sorted by vmid. */
  public get vms(): ProxmoxVm[] {
    // A VM of another lab may name this host (its validation refuses that); it does not run here.
    return this.placedVms.filter((vm) => vm.node.root === this.node.root).sort((a, b) => a.vmid - b.vmid);
  }

  /**
   * Records a VM that runs here; ProxmoxVm's constructor calls it, so that the host lists its
   * VMs without searching the tree for a class it would have to import.
   */
  public registerVm(vm: ProxmoxVm): void {
    if (!this.placedVms.includes(vm)) {
      this.placedVms.push(vm);
    }
  }

  /** The Proxmox VE cluster the host is a member of, if any. */
  public get cluster(): ProxmoxCluster | undefined {
    return this.memberships[0];
  }

  /** Every cluster that names the host as a member (more than one is an error of the cluster). */
  public get clusters(): readonly ProxmoxCluster[] {
    return this.memberships;
  }

  /** Records a cluster that has the host as a member; ProxmoxCluster's constructor calls it. */
  public joinCluster(cluster: ProxmoxCluster): void {
    if (!this.memberships.includes(cluster)) {
      this.memberships.push(cluster);
    }
  }

  /**
   * Does this host's API manage VMs on `node`? Its own, and those of every member of its
   * cluster (a cluster has one configuration, so any member's API reaches all of them).
   */
  public apiReaches(node: ProxmoxHost): boolean {
    return node === this || (this.cluster !== undefined && this.cluster === node.cluster);
  }

  /** Adds a bridge (an isolated one without ports, a second NIC's, …). */
  public addBridge(id: string, props: BridgeProps = {}): Bridge {
    return new Bridge(this, id, props);
  }

  /** Adds a Proxmox storage. */
  public addStorage(id: string, props: ProxmoxStorageProps): ProxmoxStorage {
    return new ProxmoxStorage(this, id, props);
  }

  private validateProxmoxHost(): string[] {
    const errors: string[] = [];
    const host = this.host;
    if (host.addressing !== Addressing.STATIC) {
      errors.push(problem(`Proxmox VE needs a static address on ${host.hostName}, which uses DHCP`, 'create the Host with addressing: Addressing.STATIC (and its interfaceName)'));
    }
    if (host.system !== NixSystem.X86_64_LINUX) {
      errors.push(problem(`proxmox-nixos supports x86_64-linux only, and ${host.hostName} is ${host.system}`, 'make an x86_64 host the Proxmox host'));
    }
    const others = host.node.children.filter((c) => ProxmoxHost.isProxmoxHost(c) && c !== this);
    if (others.length > 0 && host.node.children.indexOf(others[0]) < host.node.children.indexOf(this)) {
      errors.push(problem(`${host.hostName} already has the Proxmox role ${displayPath(others[0])}`, 'declare one ProxmoxHost per host'));
    }
    if (this.macPrefix !== undefined && !/^[0-9a-f]{2}(:[0-9a-f]{2}){0,4}$/.test(this.macPrefix)) {
      errors.push(problem(`macPrefix "${this.macPrefix}" is not one to five hex pairs`, 'write it like "02:10" (colon-separated, at most five pairs)'));
    }
    const names = new Map<string, Bridge>();
    const ports = new Map<string, Bridge>();
    for (const bridge of this.bridges) {
      const first = names.get(bridge.bridgeName);
      if (first) {
        errors.push(problem(`bridges ${displayPath(first)} and ${displayPath(bridge)} are both named ${bridge.bridgeName}`, 'give each bridge its own name'));
      }
      names.set(bridge.bridgeName, bridge);
      for (const port of bridge.ports) {
        const owner = ports.get(port);
        if (owner) {
          errors.push(problem(`interface ${port} is a port of both ${owner.bridgeName} and ${bridge.bridgeName}`, 'enslave each interface to one bridge'));
        }
        ports.set(port, bridge);
      }
    }
    this.checkMemoryBudget();
    this.checkProxmoxNixosRelease();
    return errors;
  }

  /** Warns when the pinned proxmox-nixos builds from another NixOS release than the lab's. */
  private checkProxmoxNixosRelease(): void {
    const lab = Homelab.of(this);
    const pin = lab.proxmoxNixos;
    if (typeof pin?.nixosRelease === 'string' && pin.nixosRelease !== lab.nixosRelease && lab.flakeInputUrls['proxmox-nixos'] === undefined) {
      Annotations.of(this).addWarning(
        problem(
          `proxmox-nixos ${pin.revision.slice(0, 7)} builds Proxmox VE from NixOS ${pin.nixosRelease}, and the lab runs ${lab.nixosRelease}: ${this.host.hostName} then runs packages of two releases`,
          `pin a proxmox-nixos revision built from NixOS ${lab.nixosRelease} with nixos.proxmoxNixos (its flake.nix's nixpkgs-stable input names the release), or set nixos.release to "${pin.nixosRelease}"`,
        ),
        'homelab-cdk:proxmox-nixos-release',
      );
    }
  }

  /** Warns when the VMs' memory and the host's reservations exceed its RAM. */
  private checkMemoryBudget(): void {
    const budget = memoryBudget(this);
    if (budget.available === undefined || budget.committed.compareTo(budget.available) <= 0) {
      return;
    }
    const parts = [`VMs ${budget.vms}`, ...budget.reservations.map((r) => `${r.reservationDescription} ${r.reservedMemory}`)];
    Annotations.of(this).addWarning(
      problem(
        `${this.host.hostName} commits ${budget.committed} (${parts.join(' + ')}) but has ${budget.available} of RAM`,
        'give the VMs less memory, move some to another host, or lower the reservations (such as the ZFS ARC maximum)',
      ),
      'homelab-cdk:memory-overcommit',
    );
  }

  /** The role it gives its host: the hypervisor, with how many VMs it runs. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `Proxmox VE (${this.vms.length} VMs)`, diagram: 'Proxmox VE' }];
  }

  /** What it adds to the summary: its memory budget, the VMs and reservations against its RAM. */
  public summaryParts(): SummaryPart[] {
    const budget = memoryBudget(this);
    return [
      {
        kind: SummaryPartKind.MEMORY_BUDGET,
        host: this.host.hostName,
        vms: budget.vms,
        reservations: budget.reservations.map((r) => ({ what: r.reservationDescription, size: r.reservedMemory })),
        committed: budget.committed,
        ram: budget.available,
      },
    ];
  }

  /** What it adds to the diagram: its VMs, in a group beside its host. */
  public diagramParts(): DiagramParts {
    return {
      groups: [
        {
          group: this,
          label: `VMs on ${this.host.hostName}`,
          attachedTo: this.host,
          members: this.vms.map((vm) =>
            vm.guest
              ? { node: vm.guest, label: [vm.guest.hostName, vm.guest.ipAddress, `vmid ${vm.vmid}`], withRoles: true }
              : { node: vm, label: [vm.vmName, `vmid ${vm.vmid}`], shape: DiagramShape.ROUND },
          ),
        },
      ],
    };
  }
}

/** A Proxmox host's memory: what its VMs and reservations take, and what it has. */
export interface MemoryBudget {
  /** The memory of every VM on the host that can run (templates never do). */
  readonly vms: Size;
  /** Memory reservations in the host's subtree (the ZFS ARC maximum, …), sorted by construct path. */
  readonly reservations: readonly IMemoryReservation[];
  /** VMs plus reservations. */
  readonly committed: Size;
  /** The host's RAM, when known. */
  readonly available?: Size;
}

/** The memory budget of a Proxmox host. */
export function memoryBudget(proxmox: ProxmoxHost): MemoryBudget {
  // A template is a VM that Proxmox never starts (qm start refuses it): its memory is not used.
  const vms = proxmox.vms.filter((vm) => !vm.template).reduce((sum, vm) => sum.plus(vm.memory), Size.bytes(0));
  const reservations = memoryReservationsUnder(proxmox.host);
  const committed = reservations.reduce((sum, r) => sum.plus(r.reservedMemory), vms);
  return { vms, reservations, committed, available: proxmox.host.memory };
}
