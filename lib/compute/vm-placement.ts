/**
 * Where a VM's parts may live: every part (disk, EFI disk, TPM state, cloud-init drive, image)
 * sits on a storage the VM's node has, with the content the part needs. One rule for all parts,
 * so that a new part cannot forget it.
 */
import type { IConstruct } from 'constructs';
import { problem } from '../core/validation';
import type { ProxmoxHost } from './proxmox-host';
import { ProxmoxStorage, StorageContent } from './proxmox-storage';

/** A VM as its parts' checks see it: a construct on a Proxmox node. */
export interface VmScope extends IConstruct {
  /** The Proxmox host the VM runs on. */
  readonly hypervisor: ProxmoxHost;
}

/**
 * Problems of a storage used by a VM on `node`: it must be a storage of that node (or one shared
 * in the node's cluster) and hold the content asked for.
 */
export function storageUseProblems(node: ProxmoxHost, storage: ProxmoxStorage, what: string, content?: StorageContent): string[] {
  if (!ProxmoxStorage.isProxmoxStorage(storage)) {
    return [problem(`${what} is on ${typeof storage === 'string' ? `"${storage}"` : 'something'} that is not a ProxmoxStorage`, 'give a storage construct of the host (proxmox.addStorage(…))')];
  }
  // A storage shared in the node's cluster is one storage for every member (Proxmox's storage
  // configuration is cluster-wide), under the same id.
  const sharedWithNode = storage.shared && node.cluster !== undefined && storage.proxmoxHost.cluster === node.cluster;
  if (storage.proxmoxHost !== node && !sharedWithNode) {
    return [
      problem(
        `${what} is on storage ${storage.storageId} of ${storage.proxmoxHost.nodeName}, which does not exist on ${node.nodeName}`,
        `use a storage of ${node.nodeName} (${node.storages.map((s) => s.storageId).join(', ') || 'it has none yet: add one'})`,
      ),
    ];
  }
  if (content !== undefined && !storage.holds(content)) {
    return [problem(`${what} is on storage ${storage.storageId}, which does not hold ${content}`, `use a storage with StorageContent.${contentName(content)}, or add it to ${storage.storageId}'s content`)];
  }
  return [];
}

function contentName(content: StorageContent): string {
  return Object.entries(StorageContent).find(([, v]) => v === content)?.[0] ?? content;
}
