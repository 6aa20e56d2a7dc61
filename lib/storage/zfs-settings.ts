import { Construct } from 'constructs';
import { calendarEventProblem } from '../core/calendar';
import { IMemoryReservation, MEMORY_RESERVATION } from '../core/memory';
import { isCalendarExpression } from '../core/names';
import { Size } from '../core/size';
import { displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** L2ARC write tuning (module parameters of the `zfs` kernel module). */
export interface L2arcTuning {
  /**
   * `l2arc_write_max`: the most written to the cache devices per feed interval (1 s).
   * @default - ZFS's default
   */
  readonly writeMax?: Size;
  /**
   * `l2arc_write_boost`: written on top of writeMax while the ARC is still cold (after boot).
   * @default - ZFS's default
   */
  readonly writeBoost?: Size;
  /**
   * `l2arc_noprefetch`: keep prefetched (streaming) reads out of the L2ARC.
   * @default - ZFS's default (true)
   */
  readonly noPrefetch?: boolean;
}

/** The ZFS health check: `scripts/zfs-health.sh`, run by a systemd timer. */
export interface ZfsHealthCheckProps {
  /**
   * When it runs, as a systemd calendar expression.
   * @default "hourly"
   */
  readonly schedule?: string;
  /**
   * A pool fuller than this percentage is reported.
   * @default 80
   */
  readonly capacityThreshold?: number;
  /**
   * A special vdev fuller than this percentage is reported (when full, metadata spills onto the
   * data disks and the pool slows down).
   * @default 80
   */
  readonly specialThreshold?: number;
}

/** Props of {@link ZfsSettings}. */
export interface ZfsSettingsProps {
  /**
   * The most RAM the ARC may take (`zfs_arc_max`). Must stay below the host's memory.
   * @default - ZFS's default (half of the RAM on Linux)
   */
  readonly arcMax?: Size;
  /**
   * The least the ARC shrinks to (`zfs_arc_min`).
   * @default - ZFS's default
   */
  readonly arcMin?: Size;
  /**
   * L2ARC write tuning.
   * @default - ZFS's defaults
   */
  readonly l2arc?: L2arcTuning;
  /**
   * When every pool is scrubbed (`services.zfs.autoScrub`), as a systemd calendar expression;
   * `false` for never.
   * @default "monthly"
   */
  readonly scrub?: string | false;
  /**
   * When every pool is trimmed (`services.zfs.trim`); `false` for never.
   * @default "weekly"
   */
  readonly trim?: string | false;
  /**
   * The health check (pool state, errors, capacity, special vdev fill); `false` for none.
   * @default - hourly, thresholds 80 %
   */
  readonly healthCheck?: ZfsHealthCheckProps | false;
  /**
   * Declare the pools, datasets and partitions to disko (`disko.devices`): disko then also
   * mounts the file systems NixOS needs (`/`, `/nix`, the EFI partition). With `false` the
   * library writes those `fileSystems` itself and leaves the disks to you.
   * @default true
   */
  readonly disko?: boolean;
  /**
   * `boot.zfs.forceImportRoot`: import the pools needed at boot even when they were last used
   * under another hostid. Pools made by `scripts/create-pools-<host>.sh` carry the host's own
   * hostid; set `true` for pools created elsewhere (another installer, another hostId) until
   * the host has imported them once.
   * @default false
   */
  readonly forceImportRoot?: boolean;
}

const ZFS_SETTINGS = Kind.named<ZfsSettings>('ZfsSettings');

/** The settings of a host's ZFS, defaults applied. */
export interface ResolvedZfsSettings {
  /** The most RAM the ARC may take (`zfs_arc_max`); unset for ZFS's default. */
  readonly arcMax?: Size;
  /** The least the ARC shrinks to (`zfs_arc_min`); unset for ZFS's default. */
  readonly arcMin?: Size;
  /** L2ARC write tuning; unset fields keep ZFS's defaults. */
  readonly l2arc: L2arcTuning;
  /** When every pool is scrubbed, as a systemd calendar expression; `false` for never. */
  readonly scrub: string | false;
  /** When every pool is trimmed, as a systemd calendar expression; `false` for never. */
  readonly trim: string | false;
  /** The health check's schedule and thresholds; `false` for no health check. */
  readonly healthCheck: Required<ZfsHealthCheckProps> | false;
  /** Are the pools, datasets and partitions declared to disko? */
  readonly disko: boolean;
  /** Are the pools needed at boot imported by force (`boot.zfs.forceImportRoot`)? */
  readonly forceImportRoot: boolean;
}

/**
 * ZFS on a host: ARC limits, L2ARC write tuning, scrub and TRIM schedules, the health check, and
 * whether disko declares the disks. A host with pools and no ZfsSettings gets the defaults.
 *
 * ```ts
 * new ZfsSettings(maxdata, 'zfs', { arcMax: Size.gibibytes(16), arcMin: Size.gibibytes(4) });
 * ```
 */
export class ZfsSettings extends Construct implements IMemoryReservation {
  /** Is `x` a ZfsSettings (of any copy of this library)? */
  public static isZfsSettings(x: unknown): x is ZfsSettings {
    return ZFS_SETTINGS.is(x);
  }

  /** The ZfsSettings of a host, if it has one. */
  public static of(host: Host): ZfsSettings | undefined {
    return host.node.children.find(ZfsSettings.isZfsSettings);
  }

  /** The settings of a host's ZFS: its ZfsSettings, or the defaults. */
  public static resolve(host: Host): ResolvedZfsSettings {
    return ZfsSettings.of(host)?.settings ?? resolveSettings({});
  }

  /** The host. */
  public readonly host: Host;
  /** The settings, defaults applied. */
  public readonly settings: ResolvedZfsSettings;

  public constructor(host: Host, id: string, props: ZfsSettingsProps = {}) {
    super(host, claimId(host, id));
    checkProps(this, 'ZfsSettingsProps', props);
    ZFS_SETTINGS.mark(this);
    this.host = host;
    this.settings = resolveSettings(props);
    if (this.settings.arcMax) {
      // The ARC may grow to arcMax: VMs share what the host has left (a hypervisor's budget).
      MEMORY_RESERVATION.mark(this);
    }
    this.node.addValidation({ validate: () => this.validateSettings() });
  }

  /** The RAM the ARC may hold: its maximum (a reservation only when arcMax is set). */
  public get reservedMemory(): Size {
    return this.settings.arcMax ?? Size.bytes(0);
  }

  /** What holds the memory, for messages. */
  public get reservationDescription(): string {
    return 'ZFS ARC maximum';
  }

  private validateSettings(): string[] {
    const errors: string[] = [];
    const first = ZfsSettings.of(this.host);
    if (first !== this) {
      errors.push(problem(`${this.host.hostName} already has ZFS settings (${displayPath(first!)})`, 'keep one ZfsSettings per host'));
    }
    const { arcMax, arcMin } = this.settings;
    const memory = this.host.memory;
    if (arcMax && memory && arcMax.compareTo(memory) >= 0) {
      errors.push(problem(`arcMax (${arcMax}) is not below the host's memory (${memory}); the ARC would starve the system and the VMs`, `set arcMax well below ${memory} (half of it is ZFS's own default)`));
    }
    if (arcMax && arcMin && arcMin.compareTo(arcMax) > 0) {
      errors.push(problem(`arcMin (${arcMin}) is above arcMax (${arcMax})`, 'make arcMin at most arcMax'));
    }
    for (const [name, size] of [
      ['arcMax', arcMax],
      ['arcMin', arcMin],
      ['l2arc.writeMax', this.settings.l2arc.writeMax],
      ['l2arc.writeBoost', this.settings.l2arc.writeBoost],
    ] as const) {
      if (size && size.isZero()) {
        errors.push(problem(`${name} is 0`, `leave ${name} out for ZFS's default, or give a size`));
      }
    }
    for (const [name, schedule] of [
      ['scrub', this.settings.scrub],
      ['trim', this.settings.trim],
      ['healthCheck.schedule', this.settings.healthCheck === false ? false : this.settings.healthCheck.schedule],
    ] as const) {
      if (schedule !== false && !isCalendarExpression(schedule)) {
        errors.push(problem(`${name} schedule "${schedule}" is not a systemd calendar expression (${calendarEventProblem(schedule)})`, 'use e.g. "weekly", "monthly" or "Sun 03:00"'));
      }
    }
    if (this.settings.healthCheck !== false) {
      for (const [name, value] of Object.entries(this.settings.healthCheck)) {
        if (name.endsWith('Threshold') && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 100)) {
          errors.push(problem(`healthCheck.${name} is ${value}`, 'give a whole percentage from 1 to 100'));
        }
      }
    }
    return errors;
  }
}

function resolveSettings(props: ZfsSettingsProps): ResolvedZfsSettings {
  const health = props.healthCheck;
  return {
    arcMax: props.arcMax,
    arcMin: props.arcMin,
    l2arc: { ...(props.l2arc ?? {}) },
    scrub: props.scrub ?? 'monthly',
    trim: props.trim ?? 'weekly',
    healthCheck:
      health === false
        ? false
        : { schedule: health?.schedule ?? 'hourly', capacityThreshold: health?.capacityThreshold ?? 80, specialThreshold: health?.specialThreshold ?? 80 },
    disko: props.disko ?? true,
    forceImportRoot: props.forceImportRoot ?? false,
  };
}
