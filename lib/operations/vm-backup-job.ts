import { Construct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { calendarEventProblem } from '../core/calendar';
import { ProxmoxHost } from '../compute/proxmox-host';
import { StorageContent, ProxmoxStorage } from '../compute/proxmox-storage';
import { ProxmoxVm } from '../compute/proxmox-vm';
import { isCalendarExpression } from '../core/names';
import { displayPath, problem } from '../core/validation';
import { BackupRetention } from './backup-retention';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** How vzdump gets a consistent copy of a running VM. */
export enum VzdumpMode {
  /** A live snapshot of the running VM (with the guest agent, file systems are frozen first). */
  SNAPSHOT = 'snapshot',
  /** The VM is suspended for the copy. */
  SUSPEND = 'suspend',
  /** The VM is shut down for the copy and started again. */
  STOP = 'stop',
}

/** Props of {@link VmBackupJob}. */
export interface VmBackupJobProps {
  /** The storage the backups go to: a storage of the same host that holds `backup` content. */
  readonly storage: ProxmoxStorage;
  /**
   * The VMs to back up.
   * @default - every VM of the host, including ones declared later
   */
  readonly vms?: ProxmoxVm[];
  /**
   * When the job runs, as a systemd calendar expression.
   * @default "*-*-* 02:30:00" (nightly, after the hourly snapshots and before people wake)
   */
  readonly schedule?: string;
  /**
   * How the copy is made.
   * @default VzdumpMode.SNAPSHOT
   */
  readonly mode?: VzdumpMode;
  /**
   * Which backups are kept on the storage (vzdump's `prune-backups`).
   * @default - 7 daily, 4 weekly and 3 monthly
   */
  readonly retention?: BackupRetention;
  /**
   * The job's id in Proxmox (Datacenter → Backup, `/cluster/backup/<name>`).
   * @default - the construct id
   */
  readonly jobName?: string;
}

const VM_BACKUP_JOB = Kind.named<VmBackupJob>('VmBackupJob');

/**
 * A vzdump job of a Proxmox host: chosen VMs backed up to one of the host's storages on a
 * schedule, old backups pruned by a retention. It is a `proxmox_backup_job` of the host's
 * Terraform stack, so it is one of Proxmox's own jobs (Datacenter → Backup), run by Proxmox's
 * scheduler, shown and runnable ("Run now") in the UI, and reported through Proxmox's
 * notification system when it fails.
 *
 * ```ts
 * new VmBackupJob(proxmox, 'nightly', { storage: backups, retention: new BackupRetention({ keepDaily: 7 }) });
 * ```
 */
export class VmBackupJob extends Construct implements IHostRoleHolder {
  /** Is `x` a VmBackupJob (of any copy of this library)? */
  public static isVmBackupJob(x: unknown): x is VmBackupJob {
    return VM_BACKUP_JOB.is(x);
  }

  /** The backup jobs of a Proxmox host, sorted by name. */
  public static of(proxmox: ProxmoxHost): VmBackupJob[] {
    return proxmox.node.children.filter(VmBackupJob.isVmBackupJob).sort(byText((x) => x.jobName));
  }

  /** The Proxmox host whose VMs are backed up. */
  public readonly proxmox: ProxmoxHost;
  /** Where the backups go. */
  public readonly storage: ProxmoxStorage;
  /** When the job runs. */
  public readonly schedule: string;
  /** How the copy is made. */
  public readonly mode: VzdumpMode;
  /** Which backups are kept. */
  public readonly retention: BackupRetention;
  /** The job's name. */
  public readonly jobName: string;

  private readonly explicitVms?: ProxmoxVm[];

  public constructor(proxmox: ProxmoxHost, id: string, props: VmBackupJobProps) {
    super(proxmox, claimId(proxmox, id));
    checkProps(this, 'VmBackupJobProps', props);
    VM_BACKUP_JOB.mark(this);
    markHostRoleHolder(this);
    this.proxmox = proxmox;
    this.storage = props.storage;
    this.explicitVms = props.vms;
    this.schedule = props.schedule ?? '*-*-* 02:30:00';
    this.mode = props.mode ?? VzdumpMode.SNAPSHOT;
    this.retention = props.retention ?? new BackupRetention({ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 });
    this.jobName = props.jobName ?? id;
    this.node.addValidation({ validate: () => this.validateJob() });
  }

  /** The VMs the job backs up, by vmid. */
  public get vms(): ProxmoxVm[] {
    return [...(this.explicitVms ?? this.proxmox.vms)].sort((a, b) => a.vmid - b.vmid);
  }

  /** The notes vzdump writes on each backup (`{{guestname}}` is the VM's name). */
  public get notesTemplate(): string {
    return `{{guestname}} (${this.jobName}, homelab-cdk)`;
  }

  private validateJob(): string[] {
    const errors: string[] = [];
    if (!/^[a-z0-9][a-z0-9-]*$/.test(this.jobName)) {
      errors.push(problem(`job name "${this.jobName}" is not a plain job id`, 'use lower-case letters, digits and "-" (set jobName)'));
    }
    const twin = VmBackupJob.of(this.proxmox).find((j) => j !== this && j.jobName === this.jobName);
    if (twin) {
      errors.push(problem(`job name ${this.jobName} is also the name of ${displayPath(twin)}`, 'give each backup job of a host its own jobName'));
    }
    if (this.storage.proxmoxHost !== this.proxmox) {
      errors.push(problem(`the backups go to ${displayPath(this.storage)}, a storage of another host`, `choose a storage of ${this.proxmox.host.hostName}`));
    } else if (!this.storage.holds(StorageContent.BACKUP)) {
      errors.push(
        problem(
          `the storage ${this.storage.storageId} does not hold backups (its content is ${this.storage.content.join(', ') || 'empty'})`,
          `add StorageContent.BACKUP to its content, or choose a storage that holds backups`,
        ),
      );
    }
    if (this.vms.length === 0) {
      errors.push(problem('the job backs up no VM', 'give it vms, or add VMs to the host'));
    }
    for (const vm of this.vms) {
      if (vm.hypervisor !== this.proxmox) {
        errors.push(problem(`${displayPath(vm)} runs on ${vm.hypervisor.host.hostName}, not on ${this.proxmox.host.hostName}`, 'back it up with a job of its own host'));
      }
    }
    if (!isCalendarExpression(this.schedule)) {
      errors.push(problem(`schedule "${this.schedule}" is not a systemd calendar expression (${calendarEventProblem(this.schedule)})`, 'use e.g. "daily" or "*-*-* 02:30:00"'));
    }
    if (!Object.values(VzdumpMode).includes(this.mode)) {
      errors.push(problem(`mode "${this.mode}" is not a vzdump mode`, `use one of ${Object.values(VzdumpMode).join(', ')}`));
    }
    errors.push(...this.retention.problems());
    return errors;
  }

  /** The role it gives its host: the hypervisor that runs the job. */
  public hostRoles(): HostRole[] {
    return [{ host: this.proxmox.host, summary: `VM backups ${this.jobName}` }];
  }
}
