/**
 * Each host's `configuration.nix`: identity, network, users, SSH, firewall, Nix settings and
 * packages. The view is built here; the template only lays it out.
 */
import { RESOLVER_ATTEMPTS, RESOLVER_TIMEOUT_SECONDS } from '../../../core/dns';
import { Homelab } from '../../../core/homelab';
import { Protocol } from '../../../core/ports';
import { Addressing, Host } from '../../../hosts/host';
import { LoginShell, User } from '../../../hosts/user';
import { NixFlake } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';

/** Adds every host's configuration to the flake. */
export function renderHostConfigurations(lab: Homelab, flake: NixFlake): void {
  for (const host of Host.all(lab)) {
    flake.setHostConfiguration(host, hostConfiguration(lab, host));
  }
}

/** The settings of one host's configuration.nix. */
export function hostConfiguration(lab: Homelab, host: Host): NixAttrs {
  return mergeAttrs(
    identity(lab, host),
    networking(lab, host),
    firewall(host),
    access(host),
    nixSettings(host),
  );
}

function identity(lab: Homelab, host: Host): NixAttrs {
  return {
    networking: {
      hostName: host.hostName,
      hostId: host.hostId,
      domain: lab.domain,
    },
    time: { timeZone: host.timeZone },
    i18n: { defaultLocale: host.locale },
    system: { stateVersion: host.stateVersion },
  };
}

/** Interfaces that containers and VMs create, which no DHCP client should configure. */
const VIRTUAL_INTERFACES = ['cni*', 'flannel*', 'veth*', 'cali*', 'vxlan*', 'docker*', 'br-*', 'kube-*'];

function networking(lab: Homelab, host: Host): NixAttrs {
  return mergeAttrs(resolver(), addressing(lab, host));
}

/**
 * resolv.conf's options: a short timeout, so that DNS's fallback costs ~1 s (core/dns.ts).
 * `networking.resolvconf.extraOptions` (listOf str) is declared in
 * nixos/modules/config/resolvconf.nix, which writes it as `resolv_conf_options`.
 */
function resolver(): NixAttrs {
  return { networking: { resolvconf: { extraOptions: [`timeout:${RESOLVER_TIMEOUT_SECONDS}`, `attempts:${RESOLVER_ATTEMPTS}`] } } };
}

function addressing(lab: Homelab, host: Host): NixAttrs {
  if (host.addressing === Addressing.DHCP) {
    const lan = host.addressInterfaceName;
    // dhcpcd on the lab interface only: with the global useDHCP it would also configure every
    // interface that appears later, k3s's cni0, flannel.1 and the pods' veths among them, and put
    // the LAN address there (k3s-io/k3s#2599). NixOS's dhcpcd module writes `allowinterfaces`
    // for the interfaces with useDHCP when the global switch is off
    // (nixos/modules/services/networking/dhcpcd.nix). Without a known interface name, the
    // global switch stays and those virtual interfaces are denied instead.
    return lan
      ? { networking: { useDHCP: false, interfaces: { [lan]: { useDHCP: true } }, search: [lab.domain] } }
      : { networking: { useDHCP: true, dhcpcd: { denyInterfaces: [...VIRTUAL_INTERFACES] }, search: [lab.domain] } };
  }
  const network = lab.network;
  return {
    networking: {
      useDHCP: false,
      search: [lab.domain],
      interfaces: {
        [host.addressInterfaceName!]: {
          ipv4: { addresses: [{ address: host.ipAddress, prefixLength: network.prefixLength }] },
        },
      },
      defaultGateway: network.gateway,
      nameservers: network.dnsServers,
    },
  };
}

function firewall(host: Host): NixAttrs {
  const opened = host.ports.filter((p) => p.openFirewall !== false);
  const open = (protocol: Protocol) => [...new Set(opened.filter((p) => !p.allowedFrom && p.protocol === protocol).map((p) => p.port))];
  // Ports open to some sources only: accepted in NixOS's nixos-fw chain before its final refuse
  // (extraCommands run inside firewall-start, which builds the chain anew each time:
  // nixos/modules/services/networking/firewall-iptables.nix).
  const rules = [
    ...new Set(
      opened
        .filter((p) => p.allowedFrom)
        .flatMap((p) => p.allowedFrom!.map((source) => `iptables -w -A nixos-fw -s ${source} -p ${p.protocol} --dport ${p.port} -j nixos-fw-accept`)),
    ),
  ];
  return {
    networking: {
      firewall: {
        enable: true,
        allowedTCPPorts: open(Protocol.TCP),
        allowedUDPPorts: open(Protocol.UDP),
        extraCommands: rules.length > 0 ? rules.join('\n') + '\n' : undefined,
      },
    },
  };
}

function access(host: Host): NixAttrs {
  const users: Record<string, NixAttrs> = {};
  for (const user of host.users) {
    users[user.userName] = userAccount(user);
  }
  const passwordless = host.users.filter((u) => u.passwordlessSudo).map((u) => u.userName);
  const shells = [...new Set(host.users.map((u) => u.shell).filter((s) => s !== LoginShell.BASH))].sort();
  const programs: Record<string, NixAttrs> = {};
  for (const shell of shells) {
    programs[shell] = { enable: true };
  }
  return {
    users: { users },
    programs: shells.length ? programs : undefined,
    security: passwordless.length
      ? {
          sudo: {
            extraRules: [{ users: passwordless, commands: [{ command: 'ALL', options: ['NOPASSWD'] }] }],
          },
        }
      : undefined,
    services: {
      openssh: {
        enable: true,
        ports: [host.ssh.port],
        // The firewall is opened from the host's port reservations, like every other service.
        openFirewall: false,
        settings: {
          PasswordAuthentication: host.ssh.passwordAuthentication,
          KbdInteractiveAuthentication: host.ssh.passwordAuthentication,
          PermitRootLogin: host.ssh.permitRootLogin,
        },
      },
    },
  };
}

function userAccount(user: User): NixAttrs {
  return {
    isNormalUser: true,
    description: user.description,
    extraGroups: user.groups.length ? [...user.groups] : undefined,
    shell: user.shell === LoginShell.BASH ? undefined : NixExpr.ref(`pkgs.${user.shell}`),
    hashedPasswordFile: user.hashedPasswordFile?.hostPath,
    openssh: { authorizedKeys: { keys: [...user.sshKeys] } },
  };
}

function nixSettings(host: Host): NixAttrs {
  const gc = host.garbageCollection;
  return {
    nix: {
      settings: {
        'experimental-features': ['nix-command', 'flakes'],
        'auto-optimise-store': true,
      },
      gc: gc
        ? { automatic: true, dates: gc.schedule, options: `--delete-older-than ${gc.keepDays}d` }
        : { automatic: false },
    },
    environment: {
      systemPackages: host.packages.map((name) => NixExpr.select('pkgs', ...name.split('.'))),
    },
  };
}

/**
 * Deep-merges attribute sets built by separate parts of a view. Nested sets merge; lists and
 * scalars may not be defined twice (that would be two parts of the model owning one setting).
 */
export function mergeAttrs(...parts: NixAttrs[]): NixAttrs {
  const result: Record<string, unknown> = {};
  for (const part of parts) {
    mergeInto(result, part, []);
  }
  return result as NixAttrs;
}

function mergeInto(target: Record<string, unknown>, source: NixAttrs, path: readonly string[]): void {
  // for…in over the own members, not Object.entries: the merge runs for every set of every
  // host's configuration, and the entry arrays were most of its cost at 1601 hosts (issue 17).
  for (const key in source) {
    const value = source[key];
    if (value === undefined || !Object.prototype.hasOwnProperty.call(source, key)) {
      continue;
    }
    const existing = target[key];
    if (existing === undefined) {
      target[key] = isMergeable(value) ? mergeAttrs(value as NixAttrs) : value;
    } else if (isMergeable(existing) && isMergeable(value)) {
      mergeInto(existing as Record<string, unknown>, value as NixAttrs, [...path, key]);
    } else {
      throw new Error(`two parts of the configuration set ${[...path, key].join('.')}`);
    }
  }
}

function isMergeable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof NixExpr) && Object.getPrototypeOf(value) === Object.prototype;
}
