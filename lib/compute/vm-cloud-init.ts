/** A VM's cloud-init settings: their props, their defaults and their checks. */
import { Homelab } from '../core/homelab';
import { Secret, SecretSource } from '../core/secret';
import { problem } from '../core/validation';
import type { User } from '../hosts/user';
import { userDataCredentials } from './cloud-init-user-data';
import type { ProxmoxHost } from './proxmox-host';
import { ProxmoxStorage, StorageContent } from './proxmox-storage';
import { storageUseProblems, VmScope } from './vm-placement';

/** cloud-init settings of a VM (for cloud images and clones of cloud-init templates). */
export interface CloudInitProps {
  /**
   * The storage of the cloud-init drive.
   * @default - the storage of the VM's first disk
   */
  readonly storage?: ProxmoxStorage;
  /**
   * A lab user: the image's default account gets the user's name and SSH keys.
   * @default - none: the image's default account, without keys
   */
  readonly user?: User;
  /**
   * The account's password, as a sensitive Terraform variable (`Secret.fromTerraformVariable`).
   * @default - none: key-only login
   */
  readonly password?: Secret;
  /**
   * Raw cloud-config user data (YAML starting with `#cloud-config`), uploaded as a snippet. It
   * replaces the user settings above (Proxmox uses one or the other). It lands in the
   * synthesized JSON, so credentials in it (passwords, `chpasswd`, private keys, URLs with a
   * password) are refused.
   * @default - none
   */
  readonly userData?: string;
  /**
   * The storage of the user-data snippet (one with snippets content).
   * @default - the first storage of the hypervisor that holds snippets
   */
  readonly snippetStorage?: ProxmoxStorage;
}

/** The storage of the cloud-init drive: the one given, else the VM's first disk's. */
export function cloudInitDriveStorage(ci: CloudInitProps, firstDiskStorage: ProxmoxStorage | undefined): ProxmoxStorage | undefined {
  return ci.storage ?? firstDiskStorage;
}

/** The storage of the user-data snippet: the one given, else the node's first that holds snippets. */
export function snippetStorageOf(ci: CloudInitProps | undefined, node: ProxmoxHost): ProxmoxStorage | undefined {
  return ci?.snippetStorage ?? node.storages.find((s) => s.holds(StorageContent.SNIPPETS));
}

/** The contradiction Proxmox cannot express: user data together with the user settings it replaces. */
export function cloudInitConflictProblems(ci: CloudInitProps | undefined): string[] {
  if (ci?.userData !== undefined && (ci.user !== undefined || ci.password !== undefined)) {
    return [problem('cloudInit.userData replaces cloudInit.user and password (Proxmox uses one or the other)', 'give the account in the user data, and drop user and password')];
  }
  return [];
}

/**
 * Problems of a VM's cloud-init settings (`scope` is the VM, on `node`, with its first disk's
 * storage): the drive and the snippet on the node's storages, a user of the lab, a password
 * only as a Terraform variable and only with a user, user data that cloud-init reads and that
 * holds no credentials.
 */
export function cloudInitProblems(ci: CloudInitProps, scope: VmScope, firstDiskStorage: ProxmoxStorage | undefined): string[] {
  const node = scope.hypervisor;
  const errors: string[] = [];
  const storage = cloudInitDriveStorage(ci, firstDiskStorage);
  if (!storage) {
    errors.push(problem('the cloud-init drive needs a storage, and the VM has no disk to take it from', 'give cloudInit.storage'));
  } else {
    errors.push(...storageUseProblems(node, storage, 'the cloud-init drive', StorageContent.IMAGES));
  }
  if (ci.user && Homelab.of(ci.user) !== Homelab.of(scope)) {
    errors.push(problem(`cloud-init user ${ci.user.userName} belongs to another lab`, 'use a user of this lab'));
  }
  if (ci.password !== undefined && ci.user === undefined && ci.userData === undefined) {
    errors.push(problem('cloudInit.password is given without cloudInit.user, so it would be ignored: the password belongs to the account that user sets up', 'give cloudInit.user (a lab user), or remove password'));
  }
  if (ci.snippetStorage !== undefined && ci.userData === undefined) {
    errors.push(problem('cloudInit.snippetStorage is given without cloudInit.userData, so it would be ignored: only user data goes there', 'remove snippetStorage, or give userData'));
  }
  if (ci.password !== undefined) {
    const nonSecret = Secret.describeNonSecret(ci.password);
    if (nonSecret || ci.password.source !== SecretSource.TERRAFORM_VARIABLE) {
      errors.push(problem(`the cloud-init password is ${nonSecret ?? `a ${ci.password.source} secret`}, which cannot reach Terraform safely`, "use Secret.fromTerraformVariable('…') (a sensitive variable), or leave it out for key-only login"));
    }
  }
  if (ci.userData !== undefined) {
    const snippets = snippetStorageOf(ci, node);
    if (!snippets) {
      errors.push(problem(`${node.nodeName} has no storage for snippets, where the user data goes`, 'give a directory storage StorageContent.SNIPPETS (such as "local"), or cloudInit.snippetStorage'));
    } else {
      errors.push(...storageUseProblems(node, snippets, 'the user-data snippet', StorageContent.SNIPPETS));
    }
    if (!ci.userData.startsWith('#cloud-config')) {
      errors.push(problem('the user data does not start with "#cloud-config", so cloud-init ignores it', 'begin it with the line "#cloud-config"'));
    }
    const credentials = userDataCredentials(ci.userData);
    if (credentials.length > 0) {
      // Name the places, never the values.
      errors.push(
        problem(
          `the cloud-init user data holds credentials (${credentials.join(', ')}), which would be written into the stack's Terraform JSON and onto the snippet storage`,
          "remove them: log in with ssh_authorized_keys, or give the account with cloudInit.user and cloudInit.password: Secret.fromTerraformVariable('…') (a sensitive variable) instead of userData",
        ),
      );
    }
  }
  return errors;
}
