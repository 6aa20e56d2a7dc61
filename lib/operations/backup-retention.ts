/**
 * How many backups are kept: the same rule for every kind of backup of the lab (the off-site
 * copies of OffsiteBackup, Proxmox's vzdump jobs), with Proxmox's prune semantics
 * (`prune-backups`, the Proxmox Backup Server's "keep" options).
 */
import { problem } from '../core/validation';
import { Kind } from '../core/kind';

/** Props of {@link BackupRetention}: how many backups of each period are kept. */
export interface BackupRetentionProps {
  /**
   * The newest backups kept whatever their age.
   * @default 0
   */
  readonly keepLast?: number;
  /**
   * Hours for which the newest backup of that hour is kept.
   * @default 0
   */
  readonly keepHourly?: number;
  /**
   * Days for which the newest backup of that day is kept.
   * @default 0
   */
  readonly keepDaily?: number;
  /**
   * ISO weeks for which the newest backup of that week is kept.
   * @default 0
   */
  readonly keepWeekly?: number;
  /**
   * Months for which the newest backup of that month is kept.
   * @default 0
   */
  readonly keepMonthly?: number;
  /**
   * Years for which the newest backup of that year is kept.
   * @default 0
   */
  readonly keepYearly?: number;
}

/** The periods of a retention, in the order they are applied. */
export const RETENTION_PERIODS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** A period of {@link RETENTION_PERIODS}. */
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];

const BACKUP_RETENTION = Kind.named<BackupRetention>('BackupRetention');

/**
 * Which backups are kept, as Proxmox prunes them: the rules are applied in the order last, hourly,
 * daily, weekly, monthly, yearly; each keeps the newest backup of each of its most recent
 * periods, skipping periods a rule before it already covers. Everything else is deleted.
 *
 * ```ts
 * new BackupRetention({ keepDaily: 7, keepWeekly: 4, keepMonthly: 6 });
 * ```
 */
export class BackupRetention {
  /** Is `x` a BackupRetention (of any copy of this library)? */
  public static isBackupRetention(x: unknown): x is BackupRetention {
    return BACKUP_RETENTION.is(x);
  }

  /** The counts by period, defaults applied. */
  public readonly keep: Readonly<Record<RetentionPeriod, number>>;

  public constructor(props: BackupRetentionProps) {
    BACKUP_RETENTION.mark(this);
    this.keep = {
      last: props.keepLast ?? 0,
      hourly: props.keepHourly ?? 0,
      daily: props.keepDaily ?? 0,
      weekly: props.keepWeekly ?? 0,
      monthly: props.keepMonthly ?? 0,
      yearly: props.keepYearly ?? 0,
    };
  }

  /** The rules that keep something, in the order they are applied. */
  public get rules(): Array<[RetentionPeriod, number]> {
    return RETENTION_PERIODS.map((p): [RetentionPeriod, number] => [p, this.keep[p]]).filter(([, n]) => n > 0);
  }

  /** The retention as Proxmox writes it (`keep-daily=7,keep-weekly=4`), for `prune-backups`. */
  public toProxmoxPruneBackups(): string {
    return this.rules.map(([period, n]) => `keep-${period}=${n}`).join(',');
  }

  /**
   * The retention as a map of keep options (`{ 'keep-daily': '7' }`), as bpg/proxmox's
   * `proxmox_backup_job.prune_backups` takes it (it joins the pairs into `prune-backups`).
   */
  public toProxmoxPruneBackupsMap(): Record<string, string> {
    return Object.fromEntries(this.rules.map(([period, n]) => [`keep-${period}`, String(n)]));
  }

  /** A short description for messages and comments (`7 daily, 4 weekly`). */
  public toString(): string {
    return this.rules.map(([period, n]) => `${n} ${period}`).join(', ') || 'nothing';
  }

  /** What is wrong with the counts: a count that is not a whole number, or nothing kept at all. */
  public problems(): string[] {
    const errors: string[] = [];
    for (const period of RETENTION_PERIODS) {
      const n = this.keep[period];
      if (!Number.isInteger(n) || n < 0) {
        errors.push(problem(`retention keep ${period} is ${n}`, `give keep${period[0].toUpperCase()}${period.slice(1)} as a whole number (0 or more)`));
      }
    }
    if (errors.length === 0 && this.rules.length === 0) {
      errors.push(problem('the retention keeps nothing, so every backup would be deleted as soon as it is made', 'keep at least one backup, e.g. new BackupRetention({ keepDaily: 7, keepWeekly: 4 })'));
    }
    return errors;
  }
}
