/**
 * The hosts' part of the first deploy: the step that installs each NixOS machine that is not a
 * VM's guest, from the NixOS installer (or the SD image for a Pi), with what the other areas add
 * to it ({@link HostStepPart}): its roles in the title, commands before `nixos-install`, checks,
 * and the steps it waits for.
 */
import { Homelab } from '../core/homelab';
import { HardwareKind } from '../hosts/hardware-profile';
import { Host } from '../hosts/host';
import { hostStepKey, HostStepPart, PhasedRunbookStep, RunbookPhase, unique } from './runbook-step';

/** The install steps of the lab's machines, merged with the parts the areas state for them. */
export function hostInstallSteps(lab: Homelab, parts: readonly HostStepPart[]): PhasedRunbookStep[] {
  const partsOf = (host: Host) => parts.filter((p) => p.host === host);
  return Host.all(lab)
    .filter((host) => !partsOf(host).some((p) => p.installedInVm))
    .map((host) => {
      const own = partsOf(host);
      const install = own.find((p) => p.install !== undefined)?.install;
      const commands: string[] = [];
      if (install) {
        commands.push(...install.commands);
      } else if (host.hardware.kind === HardwareKind.RASPBERRY_PI_4) {
        commands.push('# write the NixOS aarch64 SD image to the card and boot the Pi from it; on the Pi, with dist/nix copied there:', `sudo nixos-rebuild switch --flake ./nix#${host.hostName}`);
      } else {
        commands.push(`# boot the NixOS installer on ${host.hostName}; there, with dist/nix copied to ./nix:`, ...own.flatMap((p) => p.prepare ?? []), `sudo nixos-install --flake ./nix#${host.hostName}`);
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
          checks: unique([`ssh ${host.ipAddress} hostname   # ${host.hostName}`, ...(install?.checks ?? []), ...own.flatMap((p) => p.checks ?? [])]),
          after: [],
        },
      };
    });
}
