/**
 * The hosts' part of the first deploy: the step that installs each NixOS host, a machine from
 * the NixOS installer (or the flake's SD image for a Pi), a VM's guest as its VM's area says,
 * with what the other areas add to it ({@link HostStepPart}): its roles in the title, commands
 * before `nixos-install`, checks, and the steps it waits for.
 */
import { Homelab } from '../core/homelab';
import { hostKeyFile } from '../core/host-key';
import { sdImagePackageName } from '../core/names';
import { HardwareKind } from '../hosts/hardware-profile';
import { Host } from '../hosts/host';
import { HostInstall, hostStepKey, HostStepPart, PhasedRunbookStep, RunbookPhase, unique } from './runbook-step';

/** The install steps of the lab's machines and guests, merged with the parts the areas state for them. */
export function hostInstallSteps(lab: Homelab, parts: readonly HostStepPart[]): PhasedRunbookStep[] {
  const partsOf = (host: Host) => parts.filter((p) => p.host === host);
  // By host name (Host.all's order): the machines in their phase, the guests in theirs.
  return Host.all(lab).map((host): PhasedRunbookStep => {
    const own = partsOf(host);
    const guest = own.find((p) => p.guest !== undefined)?.guest;
    const install = guest?.install ?? own.find((p) => p.install !== undefined)?.install ?? (host.hardware.kind === HardwareKind.RASPBERRY_PI_4 ? sdCardInstall(host) : installerInstall(host));
    const commands = [...install.commands];
    if (install.prepareAt !== undefined) {
      commands.splice(install.prepareAt, 0, ...own.flatMap((p) => p.prepare ?? []));
    }
    const checks = [`ssh ${host.ipAddress} hostname   # ${host.hostName}`, ...(install.checks ?? [])];
    if (guest) {
      return { phase: RunbookPhase.GUESTS, step: { key: hostStepKey(host), title: guest.title, manual: false, commands, checks, after: [...guest.after] } };
    }
    commands.push(`nixos-rebuild switch --flake dist/nix#${host.hostName} --target-host root@${host.ipAddress}   # every later change, from your machine`);
    const roles = own.flatMap((p) => (p.role === undefined ? [] : [p.role]));
    return {
      phase: RunbookPhase.HOSTS,
      step: {
        key: hostStepKey(host),
        title: `Install ${host.hostName}${roles.length ? `, ${roles.join(' and ')}` : ''}`,
        manual: false,
        commands,
        checks: unique([...checks, ...own.flatMap((p) => p.checks ?? [])]),
        after: [],
      },
    };
  });
}

/** The NixOS installer booted on the machine: the parts' `prepare` lines, then `nixos-install`. */
function installerInstall(host: Host): HostInstall {
  return { commands: [`# boot the NixOS installer on ${host.hostName}; there, with dist/nix copied to ./nix:`, `sudo nixos-install --flake ./nix#${host.hostName}`], prepareAt: 1 };
}

/** The SD card of a Pi: the flake's image, with the host key put on the card before it boots. */
function sdCardInstall(host: Host): HostInstall {
  return {
    commands: [
      `# on an aarch64-linux machine (or one with an aarch64 builder): the image of ${host.hostName}'s own configuration`,
      `nix build path:dist/nix#packages.${host.system}.${sdImagePackageName(host.hostName)}`,
      'zstdcat result/sd-image/*.img.zst | sudo dd of=/dev/<sd-card> bs=4M conv=fsync status=progress',
      '# its host key, before the first boot (sops-nix decrypts with it on that boot):',
      'sudo mount /dev/<sd-card>2 /mnt   # the root partition, labelled NIXOS_SD',
      `sudo install -D -m 0600 ${hostKeyFile(host.hostName)} /mnt/etc/ssh/ssh_host_ed25519_key && sudo umount /mnt`,
      `# boot ${host.hostName} from the card`,
    ],
    checks: [hostKeyCheck(host)],
  };
}

/** The check that a host runs with its own host key. */
export function hostKeyCheck(host: Host): string {
  return `ssh-keyscan -t ed25519 ${host.ipAddress}   # the key of ${hostKeyFile(host.hostName)}.pub`;
}
