/**
 * Proxmox VE on NixOS (SaumonNet/proxmox-nixos): the flake input and module, the service with the
 * host's address and bridges, the bridges in the host's networking, Cockpit, and a oneshot
 * service that declares the host's directory storages with pvesm.
 */
import { ProxmoxHost } from '../../../compute/proxmox-host';
import { ProxmoxStorage, StorageDeclaration, StorageType } from '../../../compute/proxmox-storage';
import { Homelab } from '../../../core/homelab';
import { BinaryCache, generatedHeader, NixFlake, renderNixModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { renderTemplate } from '../../templates';

/** The flake input of proxmox-nixos. */
export const PROXMOX_NIXOS_INPUT = 'proxmox-nixos';

/**
 * proxmox-nixos's binary cache (its README, "Cache"): without it pve-qemu and the Perl stack of
 * Proxmox VE build from source, on the host and on the machine that installs it.
 */
export const PROXMOX_NIXOS_CACHE: BinaryCache = { url: 'https://cache.saumon.network/proxmox-nixos', publicKey: 'proxmox-nixos:D9RYSWpQQC/msZUWphOY2I5RLH5Dd6yQcaHIuug7dWM=' };

/** Adds the proxmox-nixos input and, for each Proxmox host, its module and settings. */
export function renderProxmox(lab: Homelab, flake: NixFlake): void {
  const hosts = ProxmoxHost.all(lab);
  if (hosts.length === 0) {
    return;
  }
  // Its own flake pins the NixOS release it is tested with (nixpkgs-stable); its README asks
  // not to override that input, so it does not follow the lab's nixpkgs. A revision, not the
  // branch: which release the host gets is the lab's choice, not the day of the first lock.
  flake.addInput({ name: PROXMOX_NIXOS_INPUT, url: `github:SaumonNet/proxmox-nixos/${lab.proxmoxNixos.revision}`, followsNixpkgs: false });
  flake.addBinaryCache(PROXMOX_NIXOS_CACHE);
  for (const proxmox of hosts) {
    const host = proxmox.host;
    flake.addHostFlakeModule(host, PROXMOX_NIXOS_INPUT, 'proxmox-ve');
    // Only the types pvesm declares (directories); ZFS and LVM thin storages are resources of
    // the host's Terraform stack (see StorageDeclaration).
    const storages = proxmox.storages.filter((s) => s.declaredBy === StorageDeclaration.PVESM);
    const source = `${proxmox.node.path} (Proxmox VE)`;
    flake.addHostModule(host, 'proxmox', renderNixModule({
        header: generatedHeader(lab, source),
        notes: ['Proxmox VE through SaumonNet/proxmox-nixos (experimental: not for production machines).'],
        usesInputs: true,
        settings: proxmoxSettings(proxmox, storages),
      }));
    if (storages.length > 0) {
      flake.addFile(
        `hosts/${host.hostName}/proxmox-storages.sh`,
        renderTemplate('compute/proxmox-storages.sh.hbs', { header: generatedHeader(lab, `${proxmox.node.path} (storages)`), storages: storages.map(storageCommand) }),
        { executable: true },
      );
    }
  }
}

/** The NixOS settings of a Proxmox host. */
export function proxmoxSettings(proxmox: ProxmoxHost, managedStorages: readonly ProxmoxStorage[]): NixAttrs {
  const host = proxmox.host;
  const bridges: Record<string, NixAttrs> = {};
  const interfaces: Record<string, NixAttrs> = {};
  for (const bridge of proxmox.bridges) {
    bridges[bridge.bridgeName] = { interfaces: [...bridge.ports] };
    if (bridge.carriesHostAddress && host.macAddress) {
      // A bridge would otherwise get a generated MAC; keep the NIC's, which the DHCP lease,
      // the router and Wake-on-LAN know.
      interfaces[bridge.bridgeName] = { macAddress: host.macAddress };
    }
  }
  const cockpit = proxmox.cockpit;
  // A directory storage may be a dataset's mountpoint (the reference lab's vzdump archives).
  const hasZfs = proxmox.storages.some((s) => s.type === StorageType.ZFS_POOL);
  return {
    services: {
      'proxmox-ve': {
        enable: true,
        ipAddress: proxmox.ipAddress,
        // The firewall opens the ports reserved on the host (the web UI on 8006, Cockpit).
        openFirewall: false,
        bridges: proxmox.bridges.map((b) => b.bridgeName),
      },
      cockpit: cockpit
        ? {
            enable: true,
            port: cockpit.port,
            openFirewall: false,
            'allowed-origins': [`https://${host.fqdn}:${cockpit.port}`, `https://${host.ipAddress}:${cockpit.port}`],
          }
        : undefined,
    },
    nixpkgs: { overlays: [NixExpr.select(`inputs.${PROXMOX_NIXOS_INPUT}.overlays`, host.system)] },
    // Rebuilds on the host substitute proxmox-nixos's packages too (NixOS adds cache.nixos.org
    // and its key itself; these lists merge with that).
    nix: { settings: { substituters: [PROXMOX_NIXOS_CACHE.url], 'trusted-public-keys': [PROXMOX_NIXOS_CACHE.publicKey] } },
    networking: {
      bridges,
      interfaces: Object.keys(interfaces).length > 0 ? interfaces : undefined,
    },
    systemd:
      managedStorages.length > 0
        ? {
            services: {
              'proxmox-storages': {
                description: 'Declare the Proxmox storages of the lab (pvesm)',
                wantedBy: ['multi-user.target'],
                requires: ['pve-cluster.service'],
                after: ['pve-cluster.service', ...(hasZfs ? ['zfs.target'] : [])],
                before: ['pve-guests.service'],
                path: [NixExpr.ref('config.services.proxmox-ve.package')],
                serviceConfig: { Type: 'oneshot', RemainAfterExit: true },
                script: NixExpr.call('builtins.readFile', NixExpr.path('./proxmox-storages.sh')),
              },
            },
          }
        : undefined,
  };
}

/** The arguments of one storage's line in the storages script. */
export interface StorageCommand {
  readonly id: string;
  readonly type: string;
  /** Options of `pvesm add`. */
  readonly add: string[];
  /** Options of `pvesm set` (those that may change on an existing storage). */
  readonly set: string[];
}

/**
 * The pvesm options that declare a directory storage, the one type pvesm declares (ZFS and LVM
 * thin storages are Terraform resources: see StorageDeclaration).
 */
export function storageCommand(storage: ProxmoxStorage): StorageCommand {
  const d = storage.backing.details;
  if (!d.managed || d.type !== StorageType.DIRECTORY) {
    throw new Error(`a ${storage.type} storage is declared by Terraform, not by pvesm`);
  }
  // is_mountpoint in both: `pvesm set` brings a storage that exists already up to the model. In a
  // cluster storage.cfg is one for all members: a shared directory says so (`--shared 1`), any
  // other is limited to the members that have it (`--nodes`), or every node would list it.
  const inCluster = storage.proxmoxHost.cluster !== undefined;
  const placement = !inCluster ? [] : storage.shared ? ['--shared', '1'] : ['--nodes', storage.nodeNames.join(',')];
  const options = ['--content', storage.content.join(','), ...(storage.isMountpoint ? ['--is_mountpoint', 'yes'] : []), ...placement];
  return { id: storage.storageId, type: storage.type, add: ['--path', d.path, ...options], set: options };
}
