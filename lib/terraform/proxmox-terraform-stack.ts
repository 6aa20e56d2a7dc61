/**
 * A cdktf TerraformStack built from the model: the bpg/proxmox provider for the stack's endpoint,
 * one `proxmox_virtual_environment_vm` per VM, the image downloads and cloud-init snippets they
 * need, import blocks for VMs that exist already, a nixos-anywhere module call per NixOS VM that
 * installs itself, and outputs (vmids, MACs, addresses).
 */
import { Construct } from 'constructs';
import { dependable, LocalBackend, TerraformBackend, TerraformHclModule, TerraformResourceLifecycle, TerraformOutput, TerraformRemoteState, TerraformStack, TerraformVariable } from 'cdktf';
import { Homelab } from '../core/homelab';
import { Secret, SecretSource } from '../core/secret';
import { BootKind, type CloneBootDetails } from '../compute/boot-source';
import { ProxmoxHost } from '../compute/proxmox-host';
import { terraformName } from '../core/names';
import { StackSettings } from '../compute/proxmox-stack';
import { CDROM_INTERFACE, ProxmoxVm } from '../compute/proxmox-vm';
import { ProxmoxStorage } from '../compute/proxmox-storage';
import { VmImage } from '../compute/vm-image';
import { addNixosAnywhereModule } from './nixos-anywhere-module';
import { VmBackupJob } from '../operations/vm-backup-job';
import { addBackupJobResource, addStorageResource, ProxmoxStorageResource } from './proxmox-host-objects';
import { ProxmoxBackupJob } from './proxmox/backup-job.generated';
import type { HaGroup } from '../compute/ha-group';
import type { HaResource } from '../compute/proxmox-cluster';
import { ProxmoxHagroup } from './proxmox/hagroup.generated';
import { ProxmoxHaresource } from './proxmox/haresource.generated';
import { ProxmoxDownloadFile } from './proxmox/download-file.generated';
import { ProxmoxProvider } from './proxmox/provider.generated';
import { ProxmoxVirtualEnvironmentFile } from './proxmox/virtual-environment-file.generated';
import { ProxmoxVirtualEnvironmentVm, ProxmoxVirtualEnvironmentVmConfig } from './proxmox/virtual-environment-vm.generated';

/** Props of {@link ProxmoxTerraformStack}. */
export interface ProxmoxTerraformStackProps {
  /** The stack's settings (a ProxmoxStack, or the lab's default stack). */
  readonly settings: StackSettings;
  /** The VMs of the stack. */
  readonly vms: readonly ProxmoxVm[];
  /**
   * The downloaded images this stack creates; other stacks refer to them by volume id.
   * @default - every downloaded image the stack's VMs boot from
   */
  readonly downloads?: readonly VmImage[];
  /**
   * The storages this stack declares (those Terraform declares, of the hosts it talks to).
   * @default - none
   */
  readonly storages?: readonly ProxmoxStorage[];
  /**
   * The VM backup jobs this stack declares.
   * @default - none
   */
  readonly backupJobs?: readonly VmBackupJob[];
  /**
   * The HA groups this stack creates (`proxmox_hagroup`).
   * @default []
   */
  readonly haGroups?: readonly HaGroup[];
  /**
   * The HA resources this stack creates (`proxmox_haresource`), each for a VM of the stack.
   * @default []
   */
  readonly haResources?: readonly HaResource[];
}

/** The cdktf stack of a ProxmoxStack: its VMs, images and snippets as Terraform JSON, with the bpg/proxmox bindings. */
export class ProxmoxTerraformStack extends TerraformStack {
  /** The provider. */
  public readonly provider: ProxmoxProvider;
  /** The VM resources by VM, for escape hatches. */
  public readonly vmResources: ReadonlyMap<ProxmoxVm, ProxmoxVirtualEnvironmentVm>;
  /** The download resources by image. */
  public readonly downloadResources: ReadonlyMap<VmImage, ProxmoxDownloadFile>;
  /** The storage resources by storage, for escape hatches. */
  public readonly storageResources: ReadonlyMap<ProxmoxStorage, ProxmoxStorageResource>;
  /** The backup job resources by job, for escape hatches. */
  public readonly backupJobResources: ReadonlyMap<VmBackupJob, ProxmoxBackupJob>;

  private readonly variables = new Map<string, TerraformVariable>();
  private readonly installs = new Map<ProxmoxVm, TerraformHclModule>();
  /**
   * Each download's id, taken once: every read of a cdktf attribute makes a new reference token,
   * which captures a stack trace (cdktf's Intrinsic); one read per VM was ~0.2 ms each, a fifth of
   * the Terraform projection at 4000 VMs (issue 17). The same token resolves the same everywhere.
   */
  private readonly downloadIds = new Map<VmImage, string>();

  public constructor(scope: Construct, props: ProxmoxTerraformStackProps) {
    const settings = props.settings;
    super(scope, settings.stackName);
    const endpoint = settings.endpoint;
    if (!endpoint) {
      throw new Error(`stack ${settings.stackName}: no Proxmox host to talk to (validate the lab first)`);
    }
    this.addBackend(settings);

    const sshUser = settings.sshUser;
    const nodes = [...new Set([endpoint, ...props.vms.map((vm) => vm.hypervisor)])].sort((a, b) => (a.nodeName < b.nodeName ? -1 : 1));
    this.provider = new ProxmoxProvider(this, 'proxmox', {
      endpoint: endpoint.apiEndpoint,
      insecure: settings.insecure,
      apiToken: this.secretValue(settings.apiToken, 'The Proxmox VE API token (user@realm!tokenid=secret)'),
      ssh: sshUser
        ? { agent: true, username: sshUser.userName, node: nodes.map((n) => ({ name: n.nodeName, address: n.ipAddress })) }
        : undefined,
    });

    // One resource per storage id: the members of a cluster that share an id share its entry.
    const storageResources = new Map<ProxmoxStorage, ProxmoxStorageResource>();
    const byId = new Map<string, ProxmoxStorageResource>();
    for (const storage of props.storages ?? []) {
      const shared = byId.get(storage.storageId);
      if (shared && storage.adopt) {
        shared.importFrom(storage.storageId);
      }
      const resource = shared ?? addStorageResource(this, storage);
      byId.set(storage.storageId, resource);
      storageResources.set(storage, resource);
    }
    this.storageResources = storageResources;

    const downloads = new Map<VmImage, ProxmoxDownloadFile>();
    const wanted = props.downloads ?? imagesOf(props.vms).filter((i) => i.isDownloaded);
    for (const image of wanted) {
      downloads.set(image, this.addDownload(image));
    }
    this.downloadResources = downloads;

    // Templates first, so that their clones refer to their resources (and depend on them).
    const vmResources = new Map<ProxmoxVm, ProxmoxVirtualEnvironmentVm>();
    this.vmResources = vmResources;
    for (const vm of [...props.vms.filter((v) => v.template), ...props.vms.filter((v) => !v.template)]) {
      vmResources.set(vm, this.addVm(vm));
    }

    this.dependOnStorages();
    this.backupJobResources = new Map((props.backupJobs ?? []).map((job) => [job, addBackupJobResource(this, job, vmResources, storageResources)]));

    this.addHighAvailability(props.haGroups ?? [], props.haResources ?? []);
    this.addOutputs(props.vms);
    for (const o of settings.terraformOverrides) {
      this.addOverride(o.path, o.value);
    }
  }

  /** The nixos-anywhere module calls by VM (BootSource.nixosAnywhere), for escape hatches (`set(variable, value)`). */
  public get installModules(): ReadonlyMap<ProxmoxVm, TerraformHclModule> {
    return this.installs;
  }

  /**
   * Makes each download and VM depend on the storage resources of this stack it uses (disks, EFI
   * disk, TPM state, cloud-init, images), so that a first apply creates the storages first: the
   * resources name storages by id, which Terraform cannot see as a reference.
   */
  private dependOnStorages(): void {
    if (this.storageResources.size === 0) {
      return;
    }
    // One dependable token per storage resource: like an attribute's reference, each call of
    // dependable() makes a token that captures a stack trace (cdktf's Intrinsic), ~0.1 ms each
    // for every VM at 4000 VMs (issue 17); the same token resolves to the same address everywhere.
    const tokens = new Map<ProxmoxStorageResource, string>();
    const tokenOf = (r: ProxmoxStorageResource) => {
      let token = tokens.get(r);
      if (token === undefined) {
        token = dependable(r);
        // The address token it resolves to, made here rather than inside cdktf's resolve, where
        // the stack its creation captures is several times deeper (and slower to capture).
        void r.fqn;
        tokens.set(r, token);
      }
      return token;
    };
    const on = (storages: ReadonlyArray<ProxmoxStorage | undefined>) =>
      [...new Set(storages)].flatMap((s) => {
        const r = s && this.storageResources.get(s);
        return r ? [r] : [];
      });
    const dependOn = (resource: { dependsOn?: string[] }, storages: ReadonlyArray<ProxmoxStorage | undefined>) => {
      const needed = on(storages).map(tokenOf);
      if (needed.length > 0) {
        resource.dependsOn = [...(resource.dependsOn ?? []), ...needed];
      }
    };
    for (const [image, download] of this.downloadResources) {
      dependOn(download, [image.storage]);
    }
    for (const [vm, resource] of this.vmResources) {
      dependOn(resource, [...vm.disks.map((d) => d.storage), vm.efiDisk?.storage, vm.tpm?.storage, vm.cloudInit ? (vm.cloudInit.storage ?? vm.disks[0]?.storage) : undefined]);
    }
  }

  private addBackend(settings: StackSettings): void {
    const backend = settings.backend;
    if (backend.type === 'local') {
      new LocalBackend(this, { path: String(backend.config.path), ...(backend.config.workspaceDir ? { workspaceDir: String(backend.config.workspaceDir) } : {}) });
    } else {
      new ConfiguredBackend(this, backend.type, backend.config);
    }
  }

  /**
   * The Terraform value of a secret reference: `undefined` for the provider's own environment
   * variable (it reads it itself), a sensitive variable's reference otherwise.
   */
  private secretValue(secret: Secret | undefined, description: string): string | undefined {
    if (!secret || secret.source === SecretSource.ENVIRONMENT) {
      return undefined;
    }
    if (secret.source !== SecretSource.TERRAFORM_VARIABLE) {
      throw new Error(`a ${secret.source} secret cannot reach Terraform (validate the lab first)`);
    }
    let variable = this.variables.get(secret.reference);
    if (!variable) {
      variable = new TerraformVariable(this, secret.reference, { type: 'string', sensitive: true, description });
      this.variables.set(secret.reference, variable);
    }
    return variable.stringValue;
  }

  private addDownload(image: VmImage): ProxmoxDownloadFile {
    const storage = image.storage;
    const id = terraformName(`${storage.proxmoxHost.nodeName}_${storage.storageId}_${image.node.id}`);
    const resource = new ProxmoxDownloadFile(this, id, {
      nodeName: storage.proxmoxHost.nodeName,
      datastoreId: storage.storageId,
      contentType: image.kind,
      url: image.url!,
      fileName: image.fileName,
      checksum: image.checksum?.value,
      checksumAlgorithm: image.checksum?.algorithm,
      decompressionAlgorithm: image.decompression,
    });
    resource.overrideLogicalId(id);
    return resource;
  }

  /** The file id of an image: the download's id when this stack downloads it, else its volume id. */
  private imageId(image: VmImage): string {
    const download = this.downloadResources.get(image);
    if (!download) {
      return image.volumeId;
    }
    let id = this.downloadIds.get(image);
    if (id === undefined) {
      id = download.id;
      this.downloadIds.set(image, id);
    }
    return id;
  }

  private addVm(vm: ProxmoxVm): ProxmoxVirtualEnvironmentVm {
    const lab = Homelab.of(vm);
    const disks = vm.disks;
    const boot = vm.boot.details;
    const config: ProxmoxVirtualEnvironmentVmConfig = {
      nodeName: vm.hypervisor.nodeName,
      vmId: vm.vmid,
      name: vm.vmName,
      description: vm.description,
      tags: vm.tags.length > 0 ? [...vm.tags] : undefined,
      started: vm.started,
      onBoot: vm.onBoot,
      template: vm.template ? true : undefined,
      bios: vm.bios,
      machine: vm.machine,
      operatingSystem: { type: vm.osType },
      cpu: { cores: vm.cores, type: vm.cpuType },
      memory: { dedicated: vm.memory.to('MiB') },
      agent: { enabled: vm.guestAgent, timeout: vm.guestAgent ? vm.guestAgentTimeout : undefined },
      // Without an agent, Proxmox's shutdown waits for ACPI; stop instead on destroy.
      stopOnDestroy: vm.guestAgent ? undefined : true,
      startup: vm.startup && { order: vm.startup.order, upDelay: vm.startup.upDelay, downDelay: vm.startup.downDelay },
      disk: disks.length
        ? disks.map((d, i) => ({
            interface: d.interface,
            datastoreId: d.storage.storageId,
            size: d.size.to('GiB'),
            fileFormat: d.format,
            discard: d.discard ? 'on' : 'ignore',
            ssd: d.ssd || undefined,
            iothread: d.iothread || undefined,
            backup: d.backup,
            importFrom: i === 0 && boot.kind === BootKind.CLOUD_IMAGE ? this.imageId(boot.image) : undefined,
          }))
        : undefined,
      efiDisk: vm.efiDisk && { datastoreId: vm.efiDisk.storage.storageId, type: vm.efiDisk.type, preEnrolledKeys: vm.efiDisk.preEnrolledKeys },
      tpmState: vm.tpm && { datastoreId: vm.tpm.storage.storageId, version: vm.tpm.version },
      networkDevice: vm.nics.map((nic) => ({
        bridge: nic.bridge.bridgeName,
        macAddress: nic.macAddress,
        model: nic.model,
        vlanId: nic.vlanId,
        firewall: nic.firewall,
      })),
      cdrom: boot.kind === BootKind.ISO ? { fileId: this.imageId(boot.image), interface: CDROM_INTERFACE } : undefined,
      bootOrder: boot.kind === BootKind.ISO ? [...(disks.length ? [disks[0].interface] : []), CDROM_INTERFACE] : undefined,
      clone: boot.kind === BootKind.CLONE ? this.cloneOf(vm, boot) : undefined,
      initialization: this.initializationOf(vm, lab),
    };
    const id = terraformName(vm.vmName);
    const resource = new ProxmoxVirtualEnvironmentVm(this, id, { ...config, lifecycle: adoptionLifecycle(vm) });
    resource.overrideLogicalId(id);
    if (vm.adoption) {
      resource.importFrom(vm.importId);
    }
    for (const o of vm.terraformOverrides) {
      resource.addOverride(o.path, o.value);
    }
    if (vm.guest && boot.kind === BootKind.CLOUD_IMAGE && boot.nixosAnywhere) {
      this.installs.set(vm, addNixosAnywhereModule(this, vm, boot.nixosAnywhere, resource, terraformName(`${vm.vmName}_install`)));
    }
    return resource;
  }

  /**
   * HA groups and resources: each resource depends on its VM's resource (the HA manager refuses a
   * VM that does not exist) and on its group's, when this stack creates the group.
   */
  private addHighAvailability(groups: readonly HaGroup[], resources: readonly HaResource[]): void {
    const groupResources = new Map<HaGroup, ProxmoxHagroup>();
    for (const group of groups) {
      const id = terraformName(`ha_group_${group.groupName}`);
      const resource = new ProxmoxHagroup(this, id, {
        group: group.groupName,
        nodes: Object.fromEntries(group.nodes.map((n) => [n.host.nodeName, n.priority ?? null])) as Record<string, number>,
        restricted: group.restricted,
        noFailback: group.noFailback,
      });
      resource.overrideLogicalId(id);
      groupResources.set(group, resource);
    }
    for (const r of resources) {
      const vmResource = this.vmResources.get(r.vm);
      const groupResource = r.group && groupResources.get(r.group);
      const id = terraformName(`ha_${r.vm.vmName}`);
      const resource = new ProxmoxHaresource(this, id, {
        resourceId: `vm:${r.vm.vmid}`,
        group: r.group?.groupName,
        state: r.state,
        maxRestart: r.maxRestart,
        maxRelocate: r.maxRelocate,
        dependsOn: [...(vmResource ? [vmResource] : []), ...(groupResource ? [groupResource] : [])],
      });
      resource.overrideLogicalId(id);
    }
  }

  private cloneOf(vm: ProxmoxVm, clone: CloneBootDetails): ProxmoxVirtualEnvironmentVmConfig['clone'] {
    const template = clone.template;
    const node: ProxmoxHost | undefined = template !== undefined ? template.hypervisor : clone.templateNode;
    // A template of this stack is referred to by its resource's vm_id, so Terraform creates it first.
    const templateResource = template && this.vmResources.get(template);
    return {
      vmId: templateResource ? templateResource.vmId : template !== undefined ? template.vmid : clone.templateVmid,
      full: clone.full,
      nodeName: node && node !== vm.hypervisor ? node.nodeName : undefined,
    };
  }

  private initializationOf(vm: ProxmoxVm, lab: Homelab): ProxmoxVirtualEnvironmentVmConfig['initialization'] {
    const ci = vm.cloudInit;
    if (!ci) {
      return undefined;
    }
    const network = lab.network;
    const ip = vm.ipAddress;
    const storage = ci.storage ?? vm.disks[0]?.storage;
    return {
      datastoreId: storage?.storageId,
      ipConfig: [{ ipv4: ip ? { address: `${ip}/${network.prefixLength}`, gateway: network.gateway } : { address: 'dhcp' } }],
      dns: { domain: lab.domain, servers: [...network.dnsServers] },
      userAccount: ci.user
        ? {
            username: ci.user.userName,
            keys: ci.user.sshKeys.length ? [...ci.user.sshKeys] : undefined,
            password: this.secretValue(ci.password, `The password of ${ci.user.userName} on the VMs that use it`),
          }
        : undefined,
      userDataFileId: ci.userData !== undefined ? this.addUserData(vm, ci.userData).id : undefined,
    };
  }

  private addUserData(vm: ProxmoxVm, userData: string): ProxmoxVirtualEnvironmentFile {
    const storage = vm.snippetStorage!;
    const id = terraformName(`${vm.vmName}_user_data`);
    const file = new ProxmoxVirtualEnvironmentFile(this, id, {
      nodeName: vm.hypervisor.nodeName,
      datastoreId: storage.storageId,
      contentType: 'snippets',
      sourceRaw: { data: userData, fileName: `${vm.vmName}-user-data.yaml` },
    });
    file.overrideLogicalId(id);
    return file;
  }

  private addOutputs(vms: readonly ProxmoxVm[]): void {
    const byName = <T>(value: (vm: ProxmoxVm) => T | undefined) =>
      Object.fromEntries(vms.map((vm) => [vm.vmName, value(vm)] as const).filter(([, v]) => v !== undefined && v !== ''));
    new TerraformOutput(this, 'vm_ids', { value: byName((vm) => vm.vmid), description: 'Proxmox vmid of each VM, by name', staticId: true });
    new TerraformOutput(this, 'mac_addresses', { value: byName((vm) => vm.macAddress), description: 'MAC address of the first NIC of each VM (its DHCP lease), by name', staticId: true });
    new TerraformOutput(this, 'ip_addresses', { value: byName((vm) => vm.ipAddress), description: 'Static IPv4 address of each VM that has one, by name', staticId: true });
  }
}

/** Any Terraform backend, by type and settings. */
class ConfiguredBackend extends TerraformBackend {
  public constructor(scope: Construct, type: string, private readonly config: Readonly<Record<string, string | number | boolean>>) {
    super(scope, 'backend', type);
  }

  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return { ...this.config };
  }

  public getRemoteStateDataSource(): TerraformRemoteState {
    throw new Error(`cross-stack references through a ${this.name} backend are not supported`);
  }
}

/**
 * The lifecycle of an adopted VM's resource: `prevent_destroy` unless the user allows destroying
 * it, and `ignore_changes` for each attribute the library sets that makes bpg replace the VM
 * (the schema's `x_force_new` / `x_force_new_if`) and whose existing value the user has not
 * stated. `vm_id` and `node_name` are the import id's, so they always match. Attributes that only
 * matter when a VM is created (a clone's source, the imported cloud image, the user data
 * snippet) are never applied to an existing VM.
 */
function adoptionLifecycle(vm: ProxmoxVm): TerraformResourceLifecycle | undefined {
  const adoption = vm.adoption;
  if (!adoption) {
    return undefined;
  }
  const ignore: string[] = [];
  if (vm.efiDisk && adoption.efiDiskType === undefined) {
    ignore.push('efi_disk');
  }
  if (vm.tpm && adoption.tpmVersion === undefined) {
    ignore.push('tpm_state');
  }
  const kind = vm.boot.kind;
  if (kind === BootKind.CLONE) {
    ignore.push('clone');
  }
  if (kind === BootKind.CLOUD_IMAGE && vm.disks.length > 0) {
    ignore.push('disk[0].import_from');
  }
  if (vm.cloudInit?.userData !== undefined) {
    ignore.push('initialization[0].user_data_file_id');
  }
  return {
    preventDestroy: adoption.allowDestroy ? undefined : true,
    ignoreChanges: ignore.length > 0 ? ignore : undefined,
  };
}

/** The images a set of VMs boots from (and their installers' driver ISOs), in order of first use. */
export function imagesOf(vms: readonly ProxmoxVm[]): VmImage[] {
  const images: VmImage[] = [];
  for (const vm of vms) {
    const boot = vm.boot.details;
    const booted = boot.kind === BootKind.ISO ? [boot.image, boot.drivers] : boot.kind === BootKind.CLOUD_IMAGE ? [boot.image] : [];
    for (const image of booted) {
      if (image && !images.includes(image)) {
        images.push(image);
      }
    }
  }
  return images;
}

