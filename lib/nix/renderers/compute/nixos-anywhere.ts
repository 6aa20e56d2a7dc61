/**
 * What the flake needs for the NixOS VMs that nixos-anywhere installs from Terraform
 * (BootSource.nixosAnywhere): each guest's `hosts/<host>/nixos-anywhere.nix` (its disk layout for
 * disko, the partitions and file system its hardware module mounts, and the install user among
 * Nix's trusted users, as the module's later nixos-rebuild needs), and
 * `scripts/install-host-key.sh`, the extra-files script that gives the installed host its SSH
 * host key.
 */
import { Homelab } from '../../../core/homelab';
import { GuestDiskLayout, guestDiskLayout, INSTALL_HOST_KEY_SCRIPT, NIXOS_ANYWHERE_RELEASE } from '../../../compute/nixos-anywhere';
import { BootKind } from '../../../compute/boot-source';
import { ProxmoxVm } from '../../../compute/proxmox-vm';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs } from '../../nix-value';
import { renderTemplate } from '../../templates';
import { DISKO_INPUT } from '../storage/zfs';

/** How many 5-second tries the script waits for the VM's sshd: 5 minutes, a cloud image's first boot with room to spare. */
const SSH_WAIT_TRIES = 60;

/** Adds the disk layouts and the host-key script, when a VM is installed by nixos-anywhere. */
export function renderNixosAnywhere(lab: Homelab, flake: NixFlake): void {
  const vms = ProxmoxVm.all(lab).filter((vm) => vm.guest !== undefined && vm.boot.details.kind === BootKind.CLOUD_IMAGE && vm.boot.details.nixosAnywhere !== undefined);
  if (vms.length === 0) {
    return;
  }
  flake.addFile(
    INSTALL_HOST_KEY_SCRIPT,
    renderTemplate('scripts/install-host-key.sh.hbs', {
      header: generatedHeader(lab),
      about:
        "nixos-anywhere's extra_files_script for the NixOS VMs the Terraform stacks install. It runs in an empty directory whose tree " +
        `nixos-anywhere copies to / of the installed host (terraform/install/run-nixos-anywhere.sh, release ${NIXOS_ANYWHERE_RELEASE}), ` +
        'so the host comes up with the SSH host key `homelab secrets init` made for it, its sops-nix age identity. ' +
        'Environment: HOMELAB_HOST_KEY (the absolute path of the private key), HOMELAB_INSTALL_TARGET (the address nixos-anywhere installs to), HOMELAB_INSTALL_PORT (its SSH port, 22 unless set).',
      waitTries: SSH_WAIT_TRIES,
    }),
    { executable: true },
  );
  for (const vm of vms) {
    const host = vm.guest!;
    const layout = guestDiskLayout(host);
    if (!layout || !vm.cloudInit?.user) {
      continue; // the VM's validation refuses it
    }
    flake.addInput(DISKO_INPUT);
    flake.addHostFlakeModule(host, DISKO_INPUT.name, 'disko');
    const settings: NixAttrs = {
      ...guestDiskoSettings(layout),
      // The all-in-one module's nixos-rebuild step deploys later systems with `nix copy --to
      // ssh://<user>@<host>` (terraform/nixos-rebuild/deploy.sh), which the daemon accepts
      // unsigned only from a trusted user; the user has passwordless sudo there already. Root is
      // NixOS's default, which a definition replaces, so it is listed too.
      nix: { settings: { 'trusted-users': ['root', vm.cloudInit!.user!.userName] } },
    };
    flake.addHostModule(host, 'nixos-anywhere', renderSettingsModule(lab, `${vm.node.path} (install by nixos-anywhere)`, settings));
  }
}

/**
 * The disko settings of a guest: one GPT disk (the boot disk) with a 1 MiB BIOS boot partition
 * for GRUB (the guest boots with SeaBIOS; GRUB on a GPT disk needs one, type EF02) and the root
 * file system on the rest, labelled as the hardware module mounts it. `enableConfig = false`:
 * disko only partitions, formats and mounts at install (nixos-anywhere runs
 * `system.build.diskoScript`); the hardware module keeps declaring `fileSystems."/"` by label and
 * GRUB's device, which disko's own declarations (by partition label) would contradict
 * (disko's module.nix: `fileSystems = lib.mkIf cfg.enableConfig …`).
 */
export function guestDiskoSettings(layout: GuestDiskLayout): NixAttrs {
  return {
    disko: {
      enableConfig: false,
      devices: {
        disk: {
          main: {
            type: 'disk',
            device: layout.device,
            content: {
              type: 'gpt',
              partitions: {
                bios: { priority: 1, size: '1M', type: 'EF02' },
                root: { priority: 2, size: '100%', content: { type: 'filesystem', format: layout.rootFsType, mountpoint: '/', extraArgs: ['-L', layout.rootLabel] } },
              },
            },
          },
        },
      },
    },
  };
}
