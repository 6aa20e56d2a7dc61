import { Construct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { calendarEventProblem } from '../core/calendar';
import { Homelab } from '../core/homelab';
import { isSafeName } from '../core/names';
import { Annotations, displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { BackupRemote } from './backup-remote';
import { BackupRetention } from './backup-retention';
import { BackupSource, BackupSourceKind } from './backup-source';
import { isCalendarExpression, staleAfterHours } from './schedules';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndexPer } from '../core/kind';

/** The scheduled restore test of an {@link OffsiteBackup}. */
export interface RestoreTestProps {
  /**
   * When it runs, as a systemd calendar expression.
   * @default "weekly"
   */
  readonly schedule?: string;
  /**
   * How many files of each source it fetches back and compares by checksum.
   * @default 20
   */
  readonly sampleSize?: number;
}

/** Props of {@link OffsiteBackup}. */
export interface OffsiteBackupProps {
  /** Where the copies go. Its credentials are a secret reference. */
  readonly remote: BackupRemote;
  /**
   * What is copied: datasets of the host (from a snapshot) and directories.
   * @default [] (add sources with addSource; a backup without any is an error)
   */
  readonly sources?: BackupSource[];
  /**
   * When the backup runs, as a systemd calendar expression.
   * @default "daily"
   */
  readonly schedule?: string;
  /**
   * Which of the earlier versions of changed and deleted files are kept (each run keeps what it
   * replaced in a version folder of its own).
   * @default - 7 daily, 4 weekly and 6 monthly versions
   */
  readonly retention?: BackupRetention;
  /**
   * The scheduled restore test, or `false` for none (restores that are never tried fail when they
   * are needed).
   * @default - weekly, 20 files per source
   */
  readonly restoreTest?: RestoreTestProps | false;
  /**
   * The backup's name: its systemd units (`offsite-backup-<name>`), its folder on the remote and
   * its configuration file.
   * @default - the construct id
   */
  readonly backupName?: string;
  /**
   * The monitoring alerts when the last successful backup is older than this many hours.
   * @default - two periods of a named schedule (48 for "daily"), else 48
   */
  readonly maxAgeHours?: number;
}

const OFFSITE_BACKUP = Kind.named<OffsiteBackup>('OffsiteBackup');

/** The default retention of off-site versions. */
export const DEFAULT_OFFSITE_RETENTION = new BackupRetention({ keepDaily: 7, keepWeekly: 4, keepMonthly: 6 });

/**
 * An off-site backup with rclone: on a schedule, the host copies its sources to the remote
 * (`<remote path>/<host>/<backup>/<source>/current`), keeping what each run replaced or deleted in a
 * version folder pruned by the retention; a restore test fetches a sample back and compares
 * checksums; a restore helper (`homelab-offsite-backup <name> restore …`) brings files back.
 * RAID and snapshots are not backups: this is the copy that survives the house.
 *
 * ```ts
 * new OffsiteBackup(maxdata, 'offsite', {
 *   remote: BackupRemote.sftp({ host: 'u123456.your-storagebox.de', port: 23, user: 'u123456', path: 'homelab',
 *     privateKey: Secret.fromSops({ name: 'storagebox-ssh-key' }) }),
 *   sources: [BackupSource.dataset(myApp), BackupSource.directory('/var/lib/grafana')],
 * });
 * ```
 */
export class OffsiteBackup extends Construct implements IHostRoleHolder {
  /** Is `x` an OffsiteBackup (of any copy of this library)? */
  public static isOffsiteBackup(x: unknown): x is OffsiteBackup {
    return OFFSITE_BACKUP.is(x);
  }

  /** The off-site backups of a lab, sorted by host and name. */
  public static all(scope: Construct): OffsiteBackup[] {
    return [...OFFSITE_BACKUP.all(scope)].sort(byText((b) => `${b.host.hostName}/${b.backupName}`));
  }

  /** The off-site backups that run on a host, sorted by name. */
  public static onHost(host: Host): OffsiteBackup[] {
    return OffsiteBackup.all(host).filter((b) => b.host === host);
  }

  /** The host that runs the backup. */
  public readonly host: Host;
  /** The remote. */
  public readonly remote: BackupRemote;
  /** When it runs. */
  public readonly schedule: string;
  /** Which versions are kept. */
  public readonly retention: BackupRetention;
  /** The restore test, defaults applied; undefined when off. */
  public readonly restoreTest?: Required<RestoreTestProps>;
  /** The backup's name. */
  public readonly backupName: string;
  /** Hours after which a missing successful backup is alerted. */
  public readonly maxAgeHours: number;
  private readonly sourceList: BackupSource[];

  public constructor(host: Host, id: string, props: OffsiteBackupProps) {
    super(host, claimId(host, id));
    checkProps(this, 'OffsiteBackupProps', props);
    // A backup without a real remote is not marked as one (nothing else reads it) and has this one finding.
    const valid = BackupRemote.isBackupRemote(props.remote);
    if (valid) {
      OFFSITE_BACKUP.mark(this);
      markHostRoleHolder(this);
    } else {
      recordError(this, problem('the remote of the backup is not a BackupRemote', 'make it with BackupRemote.sftp(...), .webdav(...) or .s3(...)'));
    }
    this.host = host;
    this.remote = props.remote;
    this.schedule = props.schedule ?? 'daily';
    this.retention = props.retention ?? DEFAULT_OFFSITE_RETENTION;
    this.backupName = props.backupName ?? id;
    this.maxAgeHours = props.maxAgeHours ?? staleAfterHours(this.schedule, 48);
    this.sourceList = [...(props.sources ?? [])];
    if (props.restoreTest !== false) {
      this.restoreTest = { schedule: props.restoreTest?.schedule ?? 'weekly', sampleSize: props.restoreTest?.sampleSize ?? 20 };
    }
    if (valid) {
      this.node.addValidation({ validate: () => this.validateBackup() });
    }
  }

  /** Adds a dataset or directory to copy. */
  public addSource(source: BackupSource): void {
    this.sourceList.push(source);
  }

  /** What is copied, in the order given. */
  public get sources(): readonly BackupSource[] {
    return this.sourceList;
  }

  /** The systemd unit of the backup (without `.service`). */
  public get serviceName(): string {
    return `offsite-backup-${this.backupName}`;
  }

  /** The systemd unit of the restore test, when there is one. */
  public get restoreTestServiceName(): string | undefined {
    return this.restoreTest ? `offsite-restore-test-${this.backupName}` : undefined;
  }

  /** The backup's folder on the remote, below the remote's path: `<host>/<backup>`. */
  public get remoteFolder(): string {
    return [this.remote.path, this.host.hostName, this.backupName].filter((s) => s !== '').join('/');
  }

  /** Does any source need ZFS (a dataset)? */
  public get usesZfs(): boolean {
    return this.sourceList.some((s) => s.kind === BackupSourceKind.DATASET);
  }

  private validateBackup(): string[] {
    const errors: string[] = [];
    if (!isSafeName(this.backupName) || !/^[a-z0-9][a-z0-9._-]*$/.test(this.backupName)) {
      errors.push(problem(`backup name "${this.backupName}" is not a plain unit name`, 'use lower-case letters, digits, ".", "_" and "-" (set backupName)'));
    } else {
      const first = this.backupsOfHost().find((b) => b.backupName === this.backupName);
      if (first && first !== this) {
        errors.push(problem(`backup name ${this.backupName} is also used by ${displayPath(first)}`, 'give each OffsiteBackup of a host its own backupName'));
      }
    }
    errors.push(...this.remote.problems());
    for (const warning of this.remote.warnings()) {
      Annotations.of(this).addWarning(warning, 'homelab-cdk:backup-host-key-not-pinned');
    }
    errors.push(...this.validateSources());
    errors.push(...this.retention.problems());
    const schedules: Array<[string, string]> = [['schedule', this.schedule]];
    if (this.restoreTest) {
      schedules.push(['restoreTest.schedule', this.restoreTest.schedule]);
      if (!Number.isInteger(this.restoreTest.sampleSize) || this.restoreTest.sampleSize < 1) {
        errors.push(problem(`restoreTest.sampleSize is ${this.restoreTest.sampleSize}`, 'fetch back at least one file (a whole number)'));
      }
    } else {
      Annotations.of(this).addWarning(
        problem('the backup has no restore test; a restore that was never tried tends to fail when it is needed', 'leave restoreTest on (weekly by default)'),
        'homelab-cdk:backup-without-restore-test',
      );
    }
    for (const [name, schedule] of schedules) {
      if (!isCalendarExpression(schedule)) {
        errors.push(problem(`${name} "${schedule}" is not a systemd calendar expression (${calendarEventProblem(schedule)})`, 'use e.g. "daily", "weekly" or "*-*-* 03:00:00"'));
      }
    }
    if (!(this.maxAgeHours > 0)) {
      errors.push(problem(`maxAgeHours is ${this.maxAgeHours}`, 'give a number of hours above 0'));
    }
    return errors;
  }

  private validateSources(): string[] {
    if (this.sourceList.length === 0) {
      return [problem('the backup has no sources', 'add datasets or directories: sources: [BackupSource.dataset(dataset), BackupSource.directory(path)]')];
    }
    const errors: string[] = [];
    const lab = Homelab.of(this);
    const names = new Set<string>();
    for (const source of this.sourceList) {
      errors.push(...source.problems());
      if (names.has(source.name)) {
        errors.push(problem(`two sources are named ${source.name}`, 'give one of them another name (BackupSource.directory(path, { name }))'));
      }
      names.add(source.name);
      const dataset = source.dataset;
      const volumes = source.volumeUses;
      if (volumes.length > 0) {
        errors.push(
          problem(
            `${source} holds the volumes of ${volumes[0].description} as its children (VM disks are zvols), which have no files in its snapshot directory: the backup would upload none of them`,
            'back the VMs up with a VmBackupJob into a directory storage on a dataset, and add that dataset as the source (BackupSource.dataset(vzdump))',
          ),
        );
      }
      if (dataset && (dataset.node.root !== lab || dataset.host !== this.host)) {
        const where = dataset.node.root !== lab ? 'another lab' : dataset.host.hostName;
        errors.push(
          problem(
            `${source} is on ${where}, but the backup runs on ${this.host.hostName}, which has no such dataset`,
            `back up each host's datasets with an OffsiteBackup on that host`,
          ),
        );
      }
    }
    return errors;
  }

  private backupsOfHost(): OffsiteBackup[] {
    return OFFSITE_BACKUPS_ON(this.host);
  }

  /** The role it gives its host: the host whose data goes off-site. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `off-site backup ${this.backupName}` }];
  }
}

/** The off-site backups of each host, once per validation run. */
const OFFSITE_BACKUPS_ON = runIndexPer((host: Host) => OffsiteBackup.onHost(host));
