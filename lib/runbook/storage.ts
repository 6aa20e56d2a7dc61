/**
 * The storage's part of the first deploy: the pools created in the installer, or, for a host
 * whose disks disko lays out whole, the install with nixos-anywhere; each pool checked after a reboot.
 */
import { NIXOS_ANYWHERE_RELEASE } from '../compute/nixos-anywhere';
import { Homelab } from '../core/homelab';
import { hostKeyFile } from '../core/host-key';
import { HardwareKind } from '../hosts/hardware-profile';
import { Host } from '../hosts/host';
import { ZfsPool } from '../storage/zfs-pool';
import { ZfsSettings } from '../storage/zfs-settings';
import { hostKeyCheck } from './hosts';
import { HostInstall, HostStepPart, RunbookContribution } from './runbook-step';

/** Per host with pools: its pool script before `nixos-install`, and `zpool status` of each pool. */
export function storageRunbook(lab: Homelab): RunbookContribution {
  const pools = lab.node.findAll().filter(ZfsPool.isZfsPool);
  const hostParts: HostStepPart[] = [];
  for (const host of [...new Set(pools.map((p) => p.host))]) {
    const script = `nix/scripts/create-pools-${host.hostName}.sh`;
    const checks = ZfsPool.onHost(host).map((pool) => `zpool status ${pool.poolName}   # ONLINE, after a reboot too`);
    hostParts.push(
      installsWithNixosAnywhere(host)
        ? { host, install: nixosAnywhereInstall(host), checks }
        : { host, prepare: [`sudo bash ${script}                      # prints what it would do`, `sudo bash ${script} --yes-destroy-data`], checks },
    );
  }
  return { hostParts };
}

/**
 * A bare-metal host whose disks disko lays out whole (its root on a pool, no file system the
 * hardware profile mounts by label) is installed with nixos-anywhere from the user's machine.
 */
function installsWithNixosAnywhere(host: Host): boolean {
  return host.hardware.details.kind === HardwareKind.BARE_METAL && host.hardware.details.rootFileSystem === undefined && ZfsPool.onHost(host).length > 0 && ZfsSettings.resolve(host).disko;
}

/**
 * nixos-anywhere over SSH: kexec into its installer, disko partitions the disks and creates the
 * pools, the host key goes in with --extra-files, and the pools are exported before the reboot
 * (nixos-anywhere.sh: "we always want to export the zfs pools so people can boot from it without
 * force import"), so the installed host imports them. `accept-flake-config` lets the build use
 * the flake's binary caches (proxmox-nixos's).
 */
function nixosAnywhereInstall(host: Host): HostInstall {
  const extra = `/tmp/${host.hostName}-extra-files`;
  return {
    commands: [
      `# boot ${host.hostName} into the NixOS installer (or any x86_64 Linux with kexec and 1.5 GB of RAM) with root's SSH open to your key; from your machine:`,
      `install -d -m 0755 ${extra}/etc/ssh && install -m 0600 ${hostKeyFile(host.hostName)} ${extra}/etc/ssh/ssh_host_ed25519_key`,
      `nix run github:nix-community/nixos-anywhere/${NIXOS_ANYWHERE_RELEASE} -- --flake path:dist/nix#${host.hostName} --extra-files ${extra} --option accept-flake-config true --target-host root@${host.ipAddress}   # wipes and partitions ${ZfsPool.onHost(host).map((p) => p.poolName).join(', ')}'s disks`,
      `rm -r ${extra}`,
    ],
    checks: [hostKeyCheck(host)],
  };
}
