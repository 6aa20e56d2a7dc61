/**
 * Proxmox vzdump jobs as systemd services and timers of the Proxmox host
 * (`hosts/<host>/vm-backups.nix`), so that a failed backup is a failed unit the monitoring sees.
 */
import { ProxmoxHost } from '../../../compute/proxmox-host';
import { Homelab } from '../../../core/homelab';
import { VmBackupJob } from '../../../operations/vm-backup-job';
import { NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { shellQuote } from '../../templates';

/** Adds each Proxmox host's backup jobs. */
export function renderVmBackups(lab: Homelab, flake: NixFlake): void {
  for (const proxmox of ProxmoxHost.all(lab)) {
    const jobs = VmBackupJob.of(proxmox);
    if (jobs.length === 0) {
      continue;
    }
    const services: Record<string, NixAttrs> = {};
    for (const job of jobs) {
      services[job.serviceName] = vmBackupService(job);
      flake.monitoring.watchUnit(proxmox.host, `${job.serviceName}.service`);
    }
    flake.addHostModule(proxmox.host, 'vm-backups', renderSettingsModule(lab, `${proxmox.node.path} (VM backups)`, { systemd: { services } }));
  }
}

/** The systemd service (and, through startAt, timer) of one job. */
export function vmBackupService(job: VmBackupJob): NixAttrs {
  return {
    description: `vzdump of VMs ${job.vms.map((vm) => vm.vmid).join(', ')} to ${job.storage.storageId} (${job.retention})`,
    after: ['pve-guests.service'],
    path: [NixExpr.ref('config.services.proxmox-ve.package')],
    serviceConfig: { Type: 'oneshot' },
    script: job.command.map(shellQuote).join(' '),
    startAt: job.schedule,
  };
}
