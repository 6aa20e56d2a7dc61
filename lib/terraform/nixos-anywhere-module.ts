/**
 * The nixos-anywhere install of a NixOS VM in its stack: a call of nixos-anywhere's Terraform
 * module `terraform/all-in-one` (the release of NIXOS_ANYWHERE_MODULE_SOURCE) that builds the guest's
 * system and disko script from the flake, installs them over the VM's cloud image, copies the
 * host key in through `extra_files_script`, and later redeploys the system when it changes.
 */
import { TerraformHclModule, TerraformStack } from 'cdktf';
import { INSTALL_HOST_KEY_SCRIPT, NIXOS_ANYWHERE_MODULE_SOURCE, type NixosAnywhereInstall } from '../compute/nixos-anywhere';
import { hostKeyFile } from '../core/host-key';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { ProxmoxVirtualEnvironmentVm } from './proxmox/virtual-environment-vm.generated';

/**
 * A Terraform expression for a path relative to the project's root: the stack's folder
 * (`path.root`) is three levels below it (`dist/terraform/<stack>`, `cdktf.out/stacks/<stack>`),
 * and `abspath` cleans the `..`s, because the extra-files script runs in another directory.
 */
function projectPath(relative: string): string {
  return `\${abspath("\${path.root}/../../../${relative}")}`;
}

/** Adds the install of a VM's guest (a VM booted with BootSource.nixosAnywhere) to its stack. */
export function addNixosAnywhereModule(stack: TerraformStack, vm: ProxmoxVm, install: NixosAnywhereInstall, resource: ProxmoxVirtualEnvironmentVm, name: string): TerraformHclModule {
  const guest = vm.guest!;
  const user = vm.cloudInit!.user!;
  // `path:` makes Nix read the folder as it is: a flake in a git work tree that ignores it (dist/
  // is git-ignored) would otherwise be read from git, without its files.
  const flake = `path:${projectPath(install.flakeDirectory)}`;
  const configuration = `${flake}#nixosConfigurations.${guest.hostName}.config.system.build`;
  const module = new TerraformHclModule(stack, name, {
    source: NIXOS_ANYWHERE_MODULE_SOURCE,
    variables: {
      nixos_system_attr: `${configuration}.toplevel`,
      // disko's module.nix: system.build.diskoScript formats and mounts (the module's own example).
      nixos_partitioner_attr: `${configuration}.diskoScript`,
      target_host: guest.ipAddress,
      // The cloud image's account (cloud-init's user) before, the guest's same account after the
      // install: both have passwordless sudo, which nixos-anywhere and its nixos-rebuild use.
      target_user: user.userName,
      // A new VM (a new id) is a new install; the same VM is never installed twice.
      instance_id: resource.id,
      extra_files_script: projectPath(`${install.flakeDirectory}/${INSTALL_HOST_KEY_SCRIPT}`),
      extra_environment: {
        HOMELAB_HOST_KEY: projectPath(hostKeyFile(guest.hostName)),
        HOMELAB_INSTALL_TARGET: guest.ipAddress,
      },
      build_on_remote: install.buildOnRemote || undefined,
      debug_logging: install.debugLogging || undefined,
    },
  });
  module.overrideLogicalId(name);
  return module;
}
