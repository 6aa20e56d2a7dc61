/**
 * The compute's part of the first deploy: the installer media and the API token by hand, each
 * hypervisor checked after its install, the VMs one Terraform stack at a time after the
 * hypervisor the stack talks to, then the NixOS guests installed into their VMs.
 */
import { ProxmoxHost } from '../compute/proxmox-host';
import { BootKind } from '../compute/boot-source';
import { ProxmoxStack } from '../compute/proxmox-stack';
import { StorageDeclaration } from '../compute/proxmox-storage';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { Homelab } from '../core/homelab';
import { terraformName } from '../core/names';
import { hostKeyCheck } from './hosts';
import { VmBackupJob } from '../operations/vm-backup-job';
import { byHand, hostStepKey, HostStepPart, PhasedRunbookStep, RunbookContribution, RunbookPhase, unique } from './runbook-step';

/** The steps and host parts of the Proxmox hosts, their VMs and stacks. */
export function computeRunbook(lab: Homelab): RunbookContribution {
  const all = lab.node.findAll();
  const hypervisors = all.filter(ProxmoxHost.isProxmoxHost);
  const vms = all.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  const stacks = ProxmoxStack.all(lab);
  const steps: PhasedRunbookStep[] = [];
  const hostParts: HostStepPart[] = [];

  for (const vm of vms.filter((v) => v.bios === 'ovmf' && !v.guest)) {
    steps.push(byHand(`installer:${vm.vmName}`, `Have the installation medium of ${vm.vmName} ready (e.g. the Windows ISO on a storage of ${vm.hypervisor.host.hostName})`));
  }
  if (stacks.length > 0) {
    // POST /storage needs Datastore.Allocate on /storage, POST /cluster/backup Sys.Modify on /
    // (PVE::API2::Storage::Config, PVE::API2::Backup): see lib/terraform/proxmox-host-objects.ts.
    const hostObjects = hypervisors.some((p) => p.storages.some((s) => s.declaredBy === StorageDeclaration.TERRAFORM) || VmBackupJob.of(p).length > 0);
    steps.push(
      byHand('proxmox-token', 'Create a Proxmox API token (Datacenter → Permissions → API Tokens) and export it for Terraform', [
        ...(hostObjects ? ["# the stacks declare storages and backup jobs: the token needs Datastore.Allocate on /storage and Sys.Modify on / (root@pam's, without privilege separation, has them)"] : []),
        "export PROXMOX_VE_API_TOKEN='root@pam!homelab=…'",
      ]),
    );
  }
  const byHandKeys = steps.map((s) => s.step.key);

  for (const proxmox of hypervisors) {
    // The storages Terraform declares come with the stack's first apply.
    const onHost = proxmox.storages.filter((s) => s.declaredBy !== StorageDeclaration.TERRAFORM);
    hostParts.push({
      host: proxmox.host,
      role: 'the hypervisor',
      checks: [`pvesh get /version   # on ${proxmox.host.hostName}: Proxmox VE answers`, `pvesm status   # on ${proxmox.host.hostName}: ${onHost.map((s) => s.storageId).join(', ')} active`],
    });
  }

  // The VMs, one stack at a time, after the hypervisor whose API the stack talks to.
  for (const stack of stacks) {
    const own = vms.filter((vm) => stackOf(vm, stacks) === stack);
    const nodes = [...new Set(own.map((vm) => vm.hypervisor.host))];
    steps.push({
      phase: RunbookPhase.VMS,
      step: {
        key: `stack:${stack.stackName}`,
        title: `Create the VMs of the stack ${stack.stackName} (${own.map((vm) => `${vm.vmid} ${vm.vmName}`).join(', ')})`,
        manual: false,
        commands: [`CHECKPOINT_DISABLE=1 npx cdktf diff ${stack.stackName}`, `CHECKPOINT_DISABLE=1 npx cdktf deploy ${stack.stackName}   # or terraform -chdir=dist/terraform/${stack.stackName} init && plan && apply`],
        checks: [
          ...nodes.map((n) => `qm list   # on ${n.hostName}: ${own.filter((vm) => vm.hypervisor.host === n).map((vm) => vm.vmid).join(', ')}`),
          ...nodes.flatMap((n) => {
            const proxmox = hypervisors.find((p) => p.host === n);
            const storages = proxmox?.storages.filter((s) => s.declaredBy === StorageDeclaration.TERRAFORM) ?? [];
            const jobs = proxmox ? VmBackupJob.of(proxmox) : [];
            return [
              ...(storages.length > 0 ? [`pvesm status   # on ${n.hostName}: ${storages.map((s) => s.storageId).join(', ')} active too`] : []),
              ...(jobs.length > 0 ? [`pvesh get /cluster/backup   # ${jobs.map((j) => j.jobName).join(', ')} (Datacenter → Backup)`] : []),
            ];
          }),
        ],
        after: unique([...nodes.map(hostStepKey), ...byHandKeys]),
      },
    });
  }

  // NixOS guests: installed into their VMs once the VMs exist (by the stack itself, with
  // nixos-anywhere), the network anchor first, like every host.
  for (const vm of vms.filter((v) => v.guest)) {
    const guest = vm.guest!;
    const stack = stackOf(vm, stacks);
    const automatic = vm.boot.details.kind === BootKind.CLOUD_IMAGE && vm.boot.details.nixosAnywhere !== undefined;
    hostParts.push({
      host: guest,
      guest: {
        title: automatic ? `${guest.hostName} comes up in VM ${vm.vmid} on ${vm.hypervisor.host.hostName}, installed by the stack` : `Install ${guest.hostName} in VM ${vm.vmid} on ${vm.hypervisor.host.hostName}`,
        install: automatic
          ? { commands: [`# nothing to run: the stack's module ${terraformName(`${vm.vmName}_install`)} (nixos-anywhere) installed it over the cloud image, with its host key`], checks: [hostKeyCheck(guest)] }
          : {
              commands: [
                `# on VM ${vm.vmid}'s console (it boots the NixOS installer), with dist/nix copied to ./nix:`,
                `sudo nixos-install --flake ./nix#${guest.hostName}`,
                `nixos-rebuild switch --flake dist/nix#${guest.hostName} --target-host root@${guest.ipAddress}   # every later change`,
              ],
              prepareAt: 1,
            },
        after: [stack ? `stack:${stack.stackName}` : hostStepKey(vm.hypervisor.host)],
      },
    });
  }
  return { steps, hostParts };
}

/** The stack a VM is planned in: the one whose endpoint is its hypervisor, else the only one. */
function stackOf(vm: ProxmoxVm, stacks: readonly ProxmoxStack[]): ProxmoxStack | undefined {
  return stacks.find((s) => s.endpoint === vm.hypervisor) ?? (stacks.length === 1 ? stacks[0] : undefined);
}
