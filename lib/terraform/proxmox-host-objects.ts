/**
 * Proxmox's own objects of a host in its Terraform stack, where bpg/proxmox has a resource for
 * them: the storages Terraform declares (ZFS pools, LVM thin pools; see StorageDeclaration) and
 * the VM backup jobs.
 *
 * What the stack's API token needs for them (Proxmox VE's API): creating a storage is
 * `POST /storage`, which needs `Datastore.Allocate` on `/storage` (PVE::API2::Storage::Config);
 * a backup job is `POST /cluster/backup`, which needs `Sys.Modify` on `/` (PVE::API2::Backup),
 * and its `tmpdir`, `dumpdir` and `script` options are restricted to `root@pam`, so the library
 * sets none of them; the job itself runs as root on the node. bpg's docs (docs/index.md at
 * v0.111.1) list both privileges in their example role for the provider's token, and warn that
 * what Proxmox allows only root@pam fails with any API token.
 */
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ProxmoxStorage, StorageDeclaration, StorageType } from '../compute/proxmox-storage';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { VmBackupJob } from '../operations/vm-backup-job';
import { ProxmoxBackupJob } from './proxmox/backup-job.generated';
import { ProxmoxStorageLvmthin } from './proxmox/storage-lvmthin.generated';
import { ProxmoxStorageZfspool } from './proxmox/storage-zfspool.generated';

/** A storage resource of either type Terraform declares. */
export type ProxmoxStorageResource = ProxmoxStorageZfspool | ProxmoxStorageLvmthin;

/**
 * The resource of a storage Terraform declares: `nodes` are the nodes of its storage.cfg entry
 * (its own node; in a cluster, every member with a storage of that id, since storage.cfg is the
 * cluster's and POST /storage refuses an id twice: ProxmoxStorage.nodeNames), and a storage that
 * exists already is imported by its id (bpg imports storages by id: ImportStatePassthroughID in
 * fwprovider/storage/resource_generic.go).
 */
export function addStorageResource(scope: Construct, storage: ProxmoxStorage): ProxmoxStorageResource {
  const d = storage.backing.details;
  // Terraform declares the managed zfspool and lvmthin storages (StorageDeclaration's table).
  if (storage.declaredBy !== StorageDeclaration.TERRAFORM || !d.managed || d.type === StorageType.DIRECTORY) {
    throw new Error(`${storage.node.path}: a ${storage.type} storage is not declared by Terraform`);
  }
  const id = storageResourceName(storage);
  const common = { id: storage.storageId, nodes: storage.nodeNames, content: [...storage.content] };
  const resource =
    d.type === StorageType.ZFS_POOL
      ? new ProxmoxStorageZfspool(scope, id, { ...common, zfsPool: d.zfs.datasetName, thinProvision: d.sparse })
      : new ProxmoxStorageLvmthin(scope, id, { ...common, volumeGroup: d.volumeGroup, thinPool: d.thinPool });
  resource.overrideLogicalId(id);
  if (storage.adopt) {
    resource.importFrom(storage.storageId);
  }
  return resource;
}

/**
 * The `proxmox_backup_job` of a VmBackupJob. The VMs of the same stack are referred to by their
 * resources' `vm_id` and the storage by its resource's id when the stack declares it, so
 * Terraform creates the job after them; the job is limited to the host's node.
 */
export function addBackupJobResource(
  scope: Construct,
  job: VmBackupJob,
  vmResources: ReadonlyMap<ProxmoxVm, { readonly vmId: number }>,
  storageResources: ReadonlyMap<ProxmoxStorage, ProxmoxStorageResource>,
): ProxmoxBackupJob {
  const id = `backup_job_${job.jobName.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const storage = storageResources.get(job.storage);
  const resource = new ProxmoxBackupJob(scope, id, {
    id: job.jobName,
    node: job.proxmox.nodeName,
    vmid: job.vms.map((vm) => {
      const vmResource = vmResources.get(vm);
      return vmResource ? Token.asString(vmResource.vmId) : String(vm.vmid);
    }),
    storage: storage ? storage.getStringAttribute('id') : job.storage.storageId,
    schedule: job.schedule,
    mode: job.mode,
    compress: 'zstd',
    pruneBackups: job.retention.toProxmoxPruneBackupsMap(),
    notesTemplate: job.notesTemplate,
    enabled: true,
  });
  resource.overrideLogicalId(id);
  return resource;
}

/** The Terraform name of a storage's resource: node and storage id. */
function storageResourceName(storage: ProxmoxStorage): string {
  return `${storage.proxmoxHost.nodeName}_${storage.storageId}`.replace(/[^A-Za-z0-9_]/g, '_');
}
