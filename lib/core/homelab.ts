import { Construct, IConstruct } from 'constructs';
import { isDomainName, isLocaleName, isNixosRelease, isSafeName, isTimeZone } from './names';
import { urlCredential } from './credentials';
import { Network, NetworkProps } from './network';
import { Annotations, problem } from './validation';
import { recordError } from './problems';
import { quoted } from './readable';
import { checkProps } from './props-check';
import { Kind } from './kind';

/** NixOS settings shared by every host of the lab. */
export interface NixosSettings {
  /**
   * The NixOS release the flake pins (`nixpkgs` follows `nixos-<release>`, home-manager
   * `release-<release>`), and the default `system.stateVersion` of new hosts.
   * @default "26.05"
   */
  readonly release?: string;
  /**
   * Flake input URLs that replace the defaults, by input name (`nixpkgs`, `home-manager`, …):
   * a fork, a pinned revision, or a local path.
   * @default - the upstream repositories on the release's branches
   */
  readonly inputUrls?: Record<string, string>;
  /**
   * The revision of SaumonNet/proxmox-nixos that Proxmox hosts run, and the NixOS release that
   * revision builds Proxmox VE from (its flake's `nixpkgs-stable` input). A Proxmox host warns
   * when that release is not the lab's: proxmox-nixos builds its packages against its own
   * nixpkgs, so the host then runs two releases. `inputUrls["proxmox-nixos"]` replaces the URL.
   * @default - revision c1f79f104930347a0b84abbca0d42884063a8c09 (31 January 2026, Proxmox VE 9.1), built from NixOS 25.11
   */
  readonly proxmoxNixos?: ProxmoxNixosPin;
}

/** A pinned revision of proxmox-nixos (see {@link NixosSettings.proxmoxNixos}). */
export interface ProxmoxNixosPin {
  /** The git commit (40 hex digits). */
  readonly revision: string;
  /** The NixOS release of that revision's `nixpkgs-stable` input (`"25.11"`). */
  readonly nixosRelease: string;
}

/**
 * The proxmox-nixos revision a lab pins by default: the newest that the project's reference data
 * holds (SaumonNet/proxmox-nixos at c1f79f1, "Merge pull request #220 from codgician/pve-9-1"),
 * whose flake.nix has `nixpkgs-stable.url = "github:NixOS/nixpkgs/nixos-25.11"`.
 */
export const DEFAULT_PROXMOX_NIXOS: ProxmoxNixosPin = { revision: 'c1f79f104930347a0b84abbca0d42884063a8c09', nixosRelease: '25.11' };

/** Props of {@link Homelab}. */
export interface HomelabProps {
  /**
   * The lab's name: the first segment of every construct path, and the flake's description.
   * @default "homelab"
   */
  readonly name?: string;
  /**
   * The local DNS domain of the lab (`maxdata.<domain>`).
   * @default "home.arpa" (RFC 8375's domain for home networks)
   */
  readonly domain?: string;
  /** The lab's LAN. */
  readonly network: NetworkProps;
  /**
   * Default time zone of the hosts.
   * @default "UTC"
   */
  readonly timeZone?: string;
  /**
   * Default locale of the hosts.
   * @default "en_US.UTF-8"
   */
  readonly locale?: string;
  /**
   * NixOS release and flake inputs.
   * @default - NixOS 26.05 from the upstream repositories
   */
  readonly nixos?: NixosSettings;
}

const HOMELAB = Kind.named<Homelab>('Homelab');

/** The marker of `hosts/host.ts`'s Host (the core does not import the hosts). */
const HOST_MARKER = Kind.named<object>('Host');

/** The default NixOS release of a lab. */
export const DEFAULT_NIXOS_RELEASE = '26.05';

/**
 * The root of a lab's construct tree. Everything the lab runs on (hosts, pools, VMs, services)
 * is a construct under it, and every output is synthesized from it.
 *
 * ```ts
 * const lab = new Homelab({ domain: 'local', network: { cidr: '192.168.178.0/24' } });
 * ```
 */
export class Homelab extends Construct {
  /** Is `x` a Homelab (of any copy of this library)? */
  public static isHomelab(x: unknown): x is Homelab {
    return HOMELAB.is(x);
  }

  /** The Homelab a construct belongs to. */
  public static of(scope: IConstruct): Homelab {
    const root = scope.node.root;
    if (!Homelab.isHomelab(root)) {
      throw new Error(`${scope.node.path || scope.node.id}: ${problem('this construct is not inside a Homelab', 'create it under the Homelab (or under a construct of it)')}`);
    }
    return root;
  }

  /** The lab's name. */
  public readonly name: string;
  /** The local DNS domain. */
  public readonly domain: string;
  /** The lab's LAN. */
  public readonly network: Network;
  /** Default time zone of hosts. */
  public readonly timeZone: string;
  /** Default locale of hosts. */
  public readonly locale: string;
  /** The NixOS release the flake pins. */
  public readonly nixosRelease: string;
  /** Flake input URL overrides. */
  public readonly flakeInputUrls: Readonly<Record<string, string>>;
  /** The proxmox-nixos revision Proxmox hosts run, and its NixOS release. */
  public readonly proxmoxNixos: ProxmoxNixosPin;

  public constructor(props: HomelabProps) {
    const name = props.name ?? 'homelab';
    super(undefined as unknown as Construct, name);
    checkProps(this, 'HomelabProps', props);
    HOMELAB.mark(this);
    this.name = name;
    this.domain = props.domain ?? 'home.arpa';
    this.timeZone = props.timeZone ?? 'UTC';
    this.locale = props.locale ?? 'en_US.UTF-8';
    this.nixosRelease = props.nixos?.release ?? DEFAULT_NIXOS_RELEASE;
    this.flakeInputUrls = { ...(props.nixos?.inputUrls ?? {}) };
    this.proxmoxNixos = props.nixos?.proxmoxNixos ?? DEFAULT_PROXMOX_NIXOS;
    this.network = new Network(this, 'network', props.network);

    if (typeof name !== 'string' || !isSafeName(name)) {
      recordError(this, problem(`lab name ${quoted(name)} is not a plain name`, 'use letters, digits, ".", "_" or "-", starting with a letter or digit (at most 128 characters)'));
    }
    this.node.addValidation({ validate: () => this.validateSettings() });
  }

  /** A lab without hosts synthesizes a flake that configures no machine: a warning, not an error, so a lab can be built up step by step. */
  private warnWithoutHosts(): void {
    if (HOST_MARKER.all(this).length > 0) {
      return;
    }
    const empty = this.node.children.every((c) => c === this.network);
    Annotations.of(this).addWarning(
      problem(
        empty ? 'the lab is empty: it declares nothing but its network, so every output would be empty' : 'the lab has no hosts, so the synthesized flake configures no machine',
        "declare the lab's machines with new Host(lab, '<name>', { hardware, ipAddress })",
      ),
      'homelab-cdk:lab-without-hosts',
    );
  }

  private validateSettings(): string[] {
    const errors: string[] = [];
    if (!isDomainName(this.domain)) {
      errors.push(problem(`domain "${this.domain}" is not a DNS domain name`, 'use lower-case labels joined by dots, such as "home.arpa" or "lab.example.org"'));
    }
    if (!isTimeZone(this.timeZone)) {
      errors.push(problem(`time zone "${this.timeZone}" is not an IANA time zone`, 'use a name such as "Europe/Berlin" or "UTC"'));
    }
    if (!isLocaleName(this.locale)) {
      errors.push(problem(`locale "${this.locale}" is not a locale name`, 'use a name such as "en_US.UTF-8"'));
    }
    if (!isNixosRelease(this.nixosRelease)) {
      errors.push(problem(`NixOS release "${this.nixosRelease}" is not a release number`, 'use a release such as "26.05"'));
    }
    if (typeof this.proxmoxNixos?.revision !== 'string' || !/^[0-9a-f]{40}$/.test(this.proxmoxNixos.revision)) {
      errors.push(problem('nixos.proxmoxNixos.revision is not a git commit', 'give the full commit of SaumonNet/proxmox-nixos (40 lower-case hex digits)'));
    }
    if (typeof this.proxmoxNixos?.nixosRelease !== 'string' || !isNixosRelease(this.proxmoxNixos.nixosRelease)) {
      errors.push(problem('nixos.proxmoxNixos.nixosRelease is not a release number', "give the release of the revision's nixpkgs-stable input, such as \"25.11\""));
    }
    this.warnWithoutHosts();
    for (const [input, url] of Object.entries(this.flakeInputUrls)) {
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(input)) {
        errors.push(problem(`flake input name "${input}" is not a plain name`, 'use letters, digits, "-" and "_"'));
      }
      if (urlCredential(url) !== undefined) {
        // Never echo the URL: it carries the secret.
        errors.push(
          problem(
            `flake input URL for ${input} carries ${urlCredential(url)}, which would be written into flake.nix and flake.lock`,
            'remove it from the URL and give Nix the credential where it reads it: access-tokens in nix.conf (access-tokens = github.com=…) or a netrc file (netrc-file)',
          ),
        );
      } else if (!/^(github|gitlab|sourcehut|git\+https|git\+ssh|https|path|tarball\+https|file\+https):\S+$/.test(url)) {
        errors.push(problem(`flake input URL "${url}" for ${input} is not a flake reference`, 'use a reference such as "github:NixOS/nixpkgs/nixos-26.05" or "path:/src/nixpkgs"'));
      }
    }
    return errors;
  }
}
