import { Construct, IConstruct } from 'constructs';
import { calendarEventProblem } from '../core/calendar';
import { deriveHostId, deriveMac, isHostId, isIpv4, isIpv4Cidr, normalizeMac } from '../core/addressing';
import { Homelab } from '../core/homelab';
import { isCalendarExpression, isHostName, isLocaleName, isNixosRelease, isPackageName, isTimeZone } from '../core/names';
import { Network } from '../core/network';
import { Size } from '../core/size';
import { INetworkEndpoint, macAddressProblems } from '../core/network-endpoint';
import { HeldPort, PORT_HOLDER, isPortNumber, PortReservation, Protocol } from '../core/ports';
import { Annotations, displayPath, problem } from '../core/validation';
import { NixAttrs, nixNumberProblem } from '../core/nix-value';
import { credentialInText } from '../core/credentials';
import { HardwareProfile, NixSystem } from './hardware-profile';
import { User } from './user';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { quoted } from '../core/readable';
import { checkProps } from '../core/props-check';
import { DiagramParts, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { ISummaryPartHolder, markSummaryPartHolder, SummaryPart, SummaryPartKind } from '../core/summary-part';
import { Kind, runIndex } from '../core/kind';

/** How a host gets its address on the lab network. */
export enum Addressing {
  /** DHCP; the lab's DHCP server hands out the host's static lease. */
  DHCP = 'dhcp',
  /** Configured on the host's interface (the DHCP server itself, a hypervisor's bridge). */
  STATIC = 'static',
}

/** OpenSSH server settings. The defaults are the hardened ones: keys only, no root login. */
export interface SshServerProps {
  /**
   * The port sshd listens on.
   * @default 22
   */
  readonly port?: number;
  /**
   * Allow password (and keyboard-interactive) logins.
   * @default false
   */
  readonly passwordAuthentication?: boolean;
  /**
   * Root login: never, or with keys only.
   * @default "no"
   */
  readonly permitRootLogin?: 'no' | 'prohibit-password';
}

/** Automatic garbage collection of the Nix store. */
export interface GarbageCollectionProps {
  /**
   * When to collect, as a systemd calendar expression.
   * @default "weekly"
   */
  readonly schedule?: string;
  /**
   * Keep generations and store paths younger than this many days.
   * @default 30
   */
  readonly keepDays?: number;
}

/** Props of {@link Host}. */
export interface HostProps {
  /**
   * The host name (`networking.hostName`, its DNS name and its flake attribute).
   * @default - the construct id
   */
  readonly hostName?: string;
  /** Where the host runs: its hardware module, default system and interface name. */
  readonly hardware: HardwareProfile;
  /**
   * The host's Nix system.
   * @default - the hardware profile's system
   */
  readonly system?: NixSystem;
  /** The host's static IPv4 address on the lab network. */
  readonly ipAddress: string;
  /**
   * The MAC address of the host's interface on the lab network: its DHCP lease and the target
   * of Wake-on-LAN.
   * @default - derived from the lab and host names for a virtual machine; none for bare metal
   *   (such a host gets no static DHCP lease until you give its NIC's address)
   */
  readonly macAddress?: string;
  /**
   * How the host gets its address.
   * @default Addressing.DHCP
   */
  readonly addressing?: Addressing;
  /**
   * The interface that carries the lab network, for static addressing.
   * @default - the hardware profile's interface name
   */
  readonly interfaceName?: string;
  /**
   * `networking.hostId`: eight hex digits, unique among the lab's hosts (ZFS uses it to tell
   * whose pool it is).
   * @default - derived from the host name
   */
  readonly hostId?: string;
  /**
   * Time zone.
   * @default - the lab's time zone
   */
  readonly timeZone?: string;
  /**
   * Default locale.
   * @default - the lab's locale
   */
  readonly locale?: string;
  /**
   * `system.stateVersion`: the NixOS release the host was first installed with. Never change it
   * on an installed host.
   * @default - the lab's NixOS release
   */
  readonly stateVersion?: string;
  /**
   * The lab users that have an account on this host.
   * @default - every User of the lab
   */
  readonly users?: User[];
  /**
   * OpenSSH server settings.
   * @default - port 22, keys only, no root login
   */
  readonly ssh?: SshServerProps;
  /**
   * Packages installed system-wide (nixpkgs attribute names).
   * @default []
   */
  readonly packages?: string[];
  /**
   * Automatic Nix garbage collection, or `false` for none.
   * @default - weekly, keeping 30 days
   */
  readonly garbageCollection?: GarbageCollectionProps | false;
  /**
   * The host's RAM: the budget that VMs and the ZFS ARC share.
   * @default - unknown: checks that need it are skipped
   */
  readonly memory?: Size;
  /**
   * The host's CPU threads, for checks of VM cores against the host.
   * @default - unknown: checks that need it are skipped
   */
  readonly cpuThreads?: number;
  /**
   * A few words on the host's role, for summaries and the generated header.
   * @default - none
   */
  readonly description?: string;
}

/** Raw Nix code added to a host through {@link Host.addRawNixModule}. */
export interface RawNixModule {
  /** File name of the module in the host's folder, without `.nix`. */
  readonly name: string;
  /** The module's Nix code. */
  readonly code: string;
}

const HOST = Kind.named<Host>('Host');

/**
 * A virtual machine that runs a Host (a ProxmoxVm is one): what the Host's own derivations take
 * from it. Declared here so that hosts need not know the compute constructs.
 */
export interface IGuestMachine {
  /** The first octets of the MAC addresses derived for the machine's NICs, if any. */
  readonly macPrefix: string | undefined;
}

/**
 * A NixOS machine of the lab: bare metal, a Raspberry Pi or a VM. It becomes
 * `nixosConfigurations.<hostName>` of the flake, and its address, MAC and name feed the DHCP
 * server, the hypervisor and the cluster.
 */
export class Host extends Construct implements INetworkEndpoint, ISummaryPartHolder, IDiagramPartHolder {
  /** Is `x` a Host (of any copy of this library)? */
  public static isHost(x: unknown): x is Host {
    return HOST.is(x);
  }

  /** The hosts of a lab, sorted by host name. */
  public static all(lab: IConstruct): Host[] {
    // The whole lab's once per validation run, sorted once: the monitoring lists them for every
    // watched host, and every Nix renderer that works per host lists them again (issue 17).
    return lab === lab.node.root ? [...LAB_HOSTS.of(lab)] : hostsUnder(lab);
  }

  /** The host name. */
  public readonly hostName: string;
  /** The hardware profile. */
  public readonly hardware: HardwareProfile;
  /** The Nix system. */
  public readonly system: NixSystem;
  /** The static IPv4 address. */
  public readonly ipAddress: string;
  /** How the address is configured. */
  public readonly addressing: Addressing;
  /** `networking.hostId`. */
  public readonly hostId: string;
  /** Time zone. */
  public readonly timeZone: string;
  /** Locale. */
  public readonly locale: string;
  /** `system.stateVersion`. */
  public readonly stateVersion: string;
  /** OpenSSH server settings, defaults applied. */
  public readonly ssh: Required<SshServerProps>;
  /** Garbage collection settings, or undefined when off. */
  public readonly garbageCollection?: Required<GarbageCollectionProps>;
  /** Role description. */
  public readonly description?: string;
  /** RAM, when known. */
  public readonly memory?: Size;
  /** CPU threads, when known. */
  public readonly cpuThreads?: number;

  private readonly explicitMac?: string;
  private readonly machines: IGuestMachine[] = [];
  private readonly explicitInterfaceName?: string;
  private readonly explicitUsers?: User[];
  private readonly packageNames: string[];
  private readonly heldPorts: HeldPort[] = [];
  private readonly settings: NixAttrs[] = [];
  private readonly rawModules: RawNixModule[] = [];
  private addressCarrier?: { readonly interfaceName: string; readonly owner: IConstruct };

  public constructor(scope: Homelab, id: string, props: HostProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'HostProps', props);
    HOST.mark(this);
    markSummaryPartHolder(this);
    markDiagramPartHolder(this);
    const lab = Homelab.of(scope);
    this.hostName = props.hostName ?? id;
    this.hardware = props.hardware;
    this.system = props.system ?? props.hardware.system;
    this.ipAddress = props.ipAddress;
    this.addressing = props.addressing ?? Addressing.DHCP;
    this.explicitMac = props.macAddress;
    this.explicitInterfaceName = props.interfaceName;
    this.hostId = props.hostId ?? deriveHostId(this.hostName);
    this.timeZone = props.timeZone ?? lab.timeZone;
    this.locale = props.locale ?? lab.locale;
    this.stateVersion = props.stateVersion ?? lab.nixosRelease;
    this.explicitUsers = props.users;
    this.packageNames = [...(props.packages ?? [])];
    this.description = props.description;
    this.memory = props.memory;
    this.cpuThreads = props.cpuThreads;
    this.ssh = {
      port: props.ssh?.port ?? 22,
      passwordAuthentication: props.ssh?.passwordAuthentication ?? false,
      permitRootLogin: props.ssh?.permitRootLogin ?? 'no',
    };
    if (props.garbageCollection !== false) {
      this.garbageCollection = {
        schedule: props.garbageCollection?.schedule ?? 'weekly',
        keepDays: props.garbageCollection?.keepDays ?? 30,
      };
    }

    Network.registerEndpoint(this);
    this.reservePort(this, { port: this.ssh.port, protocol: Protocol.TCP, description: 'SSH' });
    this.node.addValidation({ validate: () => this.validateHost() });
  }

  /** The DNS/DHCP name (the host name). */
  public get endpointName(): string {
    return this.hostName;
  }

  /** What it adds to the diagram: its box in the LAN, with its name, address and roles. */
  public diagramParts(): DiagramParts {
    return { lan: [{ node: this, label: [this.hostName, this.ipAddress], withRoles: true }] };
  }

  /** What it adds to the summary: its line in the hosts table. */
  public summaryParts(): SummaryPart[] {
    return [
      {
        kind: SummaryPartKind.HOST,
        host: this,
        name: this.hostName,
        description: this.description,
        system: this.system,
        ipAddress: this.ipAddress,
        macAddress: this.macAddress,
        addressing: this.addressing,
        memory: this.memory,
      },
    ];
  }

  /**
   * The host's MAC address: given, derived for a VM (under the `macPrefix` of the hypervisor
   * whose VM runs the host), or undefined for bare metal without one.
   */
  public get macAddress(): string | undefined {
    if (this.explicitMac !== undefined) {
      return normalizeMac(this.explicitMac);
    }
    return this.hardware.isVirtualMachine ? deriveMac(`${Homelab.of(this).name}/${this.hostName}`, this.machines[0]?.macPrefix) : undefined;
  }

  /** The MAC address given in the props, if any (not derived). */
  public get givenMacAddress(): string | undefined {
    return this.explicitMac;
  }

  /**
   * Records the virtual machine that runs this host (a ProxmoxVm calls it for its `guest`), so
   * that the MAC the host derives follows the machine's prefix.
   */
  public runOn(machine: IGuestMachine): void {
    if (!this.machines.includes(machine)) {
      this.machines.push(machine);
    }
  }

  /** The interface carrying the lab network, when known. */
  public get interfaceName(): string | undefined {
    return this.explicitInterfaceName ?? this.hardware.interfaceName;
  }

  /**
   * The interface that holds the host's static address: its own interface, unless a bridge over
   * it carries the address (see {@link carryAddressOn}).
   */
  public get addressInterfaceName(): string | undefined {
    return this.addressCarrier?.interfaceName ?? this.interfaceName;
  }

  /**
   * Moves the host's static address from its interface to another one that `owner` declares,
   * such as a hypervisor's bridge over the physical NIC. Only one construct may do so.
   */
  public carryAddressOn(owner: IConstruct, interfaceName: string): void {
    if (this.addressCarrier && this.addressCarrier.owner !== owner) {
      recordError(
        owner,
        problem(
          `the address of ${this.hostName} is already carried by ${this.addressCarrier.owner.node.path} (${this.addressCarrier.interfaceName}); only one interface can hold it`,
          'let only one bridge carry the host address (carriesHostAddress)',
        ),
      );
      return;
    }
    this.addressCarrier = { interfaceName, owner };
  }

  /** Fully qualified domain name (`maxdata.local`). */
  public get fqdn(): string {
    return `${this.hostName}.${Homelab.of(this).domain}`;
  }

  /** The lab users with an account here, in declaration order. */
  public get users(): User[] {
    return this.explicitUsers ?? User.all(Homelab.of(this));
  }

  /** System-wide packages. */
  public get packages(): readonly string[] {
    return this.packageNames;
  }

  /** Adds system-wide packages (nixpkgs attribute names). */
  public addPackages(...names: string[]): void {
    this.packageNames.push(...names);
  }

  /**
   * Reserves a port on this host for a service. Two reservations of one port and protocol are a
   * validation error naming both owners; reservations with `openFirewall` (the default) are
   * opened in the host's firewall.
   */
  public reservePort(owner: IConstruct, reservation: PortReservation): void {
    this.heldPorts.push({ openFirewall: true, ...reservation, owner });
  }

  /** Every port reserved on this host, sorted by protocol and port. */
  public get ports(): readonly HeldPort[] {
    return this.allHeldPorts().sort((a, b) => (a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1));
  }

  /** The reservations made on this host, then those of the lab's port holders (see IPortHolder). */
  private allHeldPorts(): HeldPort[] {
    const holders = PORT_HOLDERS.of(this);
    const derived = holders.flatMap((owner) => owner.portsOn(this).map((r): HeldPort => ({ openFirewall: true, ...r, owner })));
    return [...this.heldPorts, ...derived];
  }

  /**
   * Escape hatch: NixOS settings as a JavaScript object (`{ services: { fwupd: { enable: true } } }`),
   * written through the serializer into the host's `extra.nix`. Several calls are merged by the
   * NixOS module system, like separate modules.
   */
  public addNixSettings(settings: NixAttrs): void {
    this.settings.push(settings);
  }

  /**
   * Escape hatch: a NixOS module as raw Nix code, written to `hosts/<host>/<name>.nix` and
   * imported by the host's configuration. The library does not check the code: mistakes show
   * when Nix evaluates the host (`nixos-rebuild build`).
   */
  public addRawNixModule(name: string, code: string): void {
    if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,99}$/.test(name)) {
      recordError(this, problem(`raw module name ${quoted(name)} is not a file name of lower-case letters, digits and "-"`, 'name it like "extra-tools" (at most 100 characters)'));
      return;
    }
    if (this.rawModules.some((m) => m.name === name)) {
      recordError(this, problem(`a raw module named "${name}" was already added`, 'give each raw module its own name, or put the code into one'));
      return;
    }
    this.rawModules.push({ name, code });
  }

  /** Settings added with {@link addNixSettings}. */
  public get nixSettings(): readonly NixAttrs[] {
    return this.settings;
  }

  /** Modules added with {@link addRawNixModule}. */
  public get rawNixModules(): readonly RawNixModule[] {
    return this.rawModules;
  }

  private validateHost(): string[] {
    const errors: string[] = [];
    if (!isHostName(this.hostName)) {
      errors.push(problem(`host name "${this.hostName}" is not a valid host name`, 'use lower-case letters, digits and "-", at most 63 characters, not starting or ending with "-"'));
    }
    if (!Object.values(NixSystem).includes(this.system)) {
      errors.push(problem(`system "${this.system}" is not supported`, `use one of ${Object.values(NixSystem).join(', ')}`));
    }
    if (this.explicitMac !== undefined) {
      errors.push(...macAddressProblems(this.explicitMac));
    } else if (!this.hardware.isVirtualMachine) {
      Annotations.of(this).addWarning(
        problem(`${this.hostName} is not a VM and has no macAddress, so it gets no static DHCP lease and cannot be woken`, "set macAddress to its NIC's address (ip link)"),
        'homelab-cdk:no-mac-address',
      );
    }
    if (!isHostId(this.hostId)) {
      errors.push(problem(`hostId "${this.hostId}" is not eight lower-case hex digits`, 'leave hostId out to derive one, or give e.g. "8425e349"'));
    } else {
      const other = this.hostsByHostId().get(this.hostId)?.find((h) => h !== this);
      if (other) {
        errors.push(problem(`hostId ${this.hostId} is also the hostId of ${displayPath(other)}`, 'give each host its own hostId (ZFS pools would be claimed by both)'));
      }
    }
    if (!isTimeZone(this.timeZone)) {
      errors.push(problem(`time zone "${this.timeZone}" is not an IANA time zone`, 'use a name such as "Europe/Berlin"'));
    }
    if (!isLocaleName(this.locale)) {
      errors.push(problem(`locale "${this.locale}" is not a locale name`, 'use a name such as "en_US.UTF-8"'));
    }
    if (!isNixosRelease(this.stateVersion)) {
      errors.push(problem(`stateVersion "${this.stateVersion}" is not a NixOS release`, 'use the release the host was installed with, such as "26.05"'));
    }
    if (this.addressing === Addressing.STATIC && !this.interfaceName) {
      errors.push(problem('static addressing needs the name of the interface to configure', 'set interfaceName (see `ip link` on the host)'));
    }
    if (this.interfaceName !== undefined && !/^[a-zA-Z0-9_.-]{1,15}$/.test(this.interfaceName)) {
      errors.push(problem(`interface name "${this.interfaceName}" is not a Linux interface name`, 'use at most 15 letters, digits, ".", "_" or "-"'));
    }
    errors.push(...this.hardware.problems().map((p) => problem(p, 'point HardwareProfile.fromFile at the host\'s hardware-configuration.nix')));
    errors.push(...this.validateUsers());
    errors.push(...this.validatePorts());
    for (const pkg of this.packageNames) {
      if (!isPackageName(pkg)) {
        errors.push(problem(`package "${pkg}" is not a nixpkgs attribute path`, 'use a name such as "htop" or "python3Packages.requests"'));
      }
    }
    const gc = this.garbageCollection;
    if (gc && (!Number.isInteger(gc.keepDays) || gc.keepDays < 1)) {
      errors.push(problem(`garbage collection keeps ${gc.keepDays} days`, 'keep at least 1 day (a whole number), or set garbageCollection: false'));
    }
    if (gc && !isCalendarExpression(gc.schedule)) {
      errors.push(problem(`garbage collection schedule "${gc.schedule}" is not a systemd calendar expression (${calendarEventProblem(gc.schedule)})`, 'use e.g. "weekly" or "Sun 03:00"'));
    }
    if (this.cpuThreads !== undefined && (!Number.isInteger(this.cpuThreads) || this.cpuThreads < 1)) {
      errors.push(problem(`cpuThreads is ${this.cpuThreads}`, 'give the number of CPU threads (nproc), a whole number of at least 1'));
    }
    if (this.memory !== undefined && this.memory.isZero()) {
      errors.push(problem('memory is 0', 'give the host\'s RAM, e.g. Size.gibibytes(32)'));
    }
    errors.push(...this.validateNixSettings());
    if (this.ssh.passwordAuthentication) {
      Annotations.of(this).addWarning(
        problem('SSH password logins are enabled', 'use keys only unless you must (ssh.passwordAuthentication: false)'),
        'homelab-cdk:ssh-password-logins',
      );
    }
    return errors;
  }

  /** Values of addNixSettings that Nix cannot read, or that put a credential into the Nix store. */
  private validateNixSettings(): string[] {
    const errors: string[] = [];
    const visit = (value: unknown, path: string): void => {
      const where = path === '' ? 'a setting' : path;
      if (typeof value === 'number') {
        const unwritable = nixNumberProblem(value);
        if (unwritable !== undefined) {
          errors.push(problem(`the value of ${where} in addNixSettings: ${unwritable}`, 'give a whole number of at most 2^53 in magnitude, or a string if the option takes one'));
        }
      } else if (typeof value === 'string') {
        const credential = credentialInText(value);
        if (credential !== undefined) {
          // Never echo the value: it carries the secret.
          errors.push(problem(`the value of ${where} in addNixSettings carries ${credential}, which would be copied into the world-readable Nix store`, "give the option a file that holds the secret instead (most NixOS options have a …File variant), with a Secret.fromSops(...) path"));
        }
      } else if (Array.isArray(value)) {
        value.forEach((item, i) => visit(item, `${path}[${i}]`));
      } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
        for (const [key, member] of Object.entries(value)) {
          const name = /^[A-Za-z_][A-Za-z0-9_'-]{0,63}$/.test(key) ? key : /^[\x21-\x7e]{1,64}$/.test(key) && !/["\\$]/.test(key) ? `"${key}"` : '"…"';
          visit(member, path === '' ? name : `${path}.${name}`);
        }
      }
    };
    this.settings.forEach((settings) => visit(settings, ''));
    return errors;
  }

  private validateUsers(): string[] {
    const errors: string[] = [];
    const lab = Homelab.of(this);
    const names = new Set<string>();
    for (const user of this.users) {
      if (Homelab.of(user) !== lab) {
        errors.push(problem(`user ${user.userName} belongs to another lab`, 'declare the user in this lab'));
      }
      if (names.has(user.userName)) {
        errors.push(problem(`user ${user.userName} is listed twice`, 'list each user once'));
      }
      names.add(user.userName);
      // A user with neither keys nor password is warned about by the User itself.
      const admin = user.sudo || user.groups.includes('wheel');
      if (admin && user.sshKeys.length === 0 && user.hashedPasswordFile !== undefined && !this.ssh.passwordAuthentication) {
        Annotations.of(this).addWarning(
          problem(
            `${user.userName} may use sudo but has no SSH key, and ${this.hostName} takes SSH keys only: ${user.userName} can log in to it only at its console`,
            `add a public key to ${user.userName}'s sshKeys, or allow password logins on ${this.hostName} (ssh.passwordAuthentication: true)`,
          ),
          'homelab-cdk:sudo-user-without-ssh-key',
        );
      }
    }
    return errors;
  }

  private validatePorts(): string[] {
    const errors: string[] = [];
    const seen = new Map<string, HeldPort>();
    for (const held of this.allHeldPorts()) {
      if (!isPortNumber(held.port)) {
        errors.push(problem(`${displayPath(held.owner)} (${held.description}) reserves port ${held.port}, which is not a port number`, 'use a port from 1 to 65535'));
        continue;
      }
      for (const source of held.allowedFrom ?? []) {
        if (!isIpv4(source) && !isIpv4Cidr(source)) {
          errors.push(problem(`${displayPath(held.owner)} (${held.description}) opens port ${held.port} to "${source}", which is neither an IPv4 address nor a CIDR`, 'give addresses like "192.168.178.10" or networks like "192.168.178.0/24"'));
        }
      }
      const key = `${held.port}/${held.protocol}`;
      const first = seen.get(key);
      if (first) {
        errors.push(
          problem(
            `port ${key} is used by both ${displayPath(first.owner)} (${first.description}) and ${displayPath(held.owner)} (${held.description})`,
            `move one of them to another port`,
          ),
        );
      } else {
        seen.set(key, held);
      }
    }
    return errors;
  }

  private hostsByHostId(): Map<string, Host[]> {
    return HOSTS_BY_HOST_ID.of(this);
  }
}

/** Every construct that holds ports on hosts, once per validation run. */
const PORT_HOLDERS = runIndex((root) => root.node.findAll().filter(PORT_HOLDER.is));

/** The hosts under `scope` (from the run's one walk of the tree), sorted by host name. */
function hostsUnder(scope: IConstruct): Host[] {
  return [...HOST.under(scope)].sort(byText((x) => x.hostName));
}

/** The hosts of the lab, sorted by host name, once per validation run. */
const LAB_HOSTS = runIndex((root) => hostsUnder(root));

/** The hosts of the lab by hostId, once per validation run. */
const HOSTS_BY_HOST_ID = runIndex((root) => {
  const index = new Map<string, Host[]>();
  for (const host of Host.all(root)) {
    index.set(host.hostId, [...(index.get(host.hostId) ?? []), host]);
  }
  return index;
});
