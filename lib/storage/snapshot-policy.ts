import { Construct } from 'constructs';
import type { Host } from '../hosts/host';
import { isSafeName } from '../core/names';
import { problem } from '../core/validation';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** Props of {@link SnapshotPolicy}. */
export interface SnapshotPolicyProps {
  /**
   * The sanoid template name (`production`), what datasets refer to.
   * @default - the construct id
   */
  readonly templateName?: string;
  /**
   * Snapshots taken every 15 minutes to keep (sanoid's `frequently`).
   * @default 0
   */
  readonly frequently?: number;
  /**
   * Hourly snapshots to keep.
   * @default 0
   */
  readonly hourly?: number;
  /**
   * Daily snapshots to keep.
   * @default 0
   */
  readonly daily?: number;
  /**
   * Monthly snapshots to keep.
   * @default 0
   */
  readonly monthly?: number;
  /**
   * Yearly snapshots to keep.
   * @default 0
   */
  readonly yearly?: number;
  /**
   * Take snapshots. Off for replication targets, whose snapshots arrive from the source.
   * @default true
   */
  readonly autosnap?: boolean;
  /**
   * Destroy snapshots beyond the counts above.
   * @default true
   */
  readonly autoprune?: boolean;
}

const SNAPSHOT_POLICY = Kind.named<SnapshotPolicy>('SnapshotPolicy');

/** The retention counts of a policy, defaults applied. */
export interface SnapshotRetention {
  /** Snapshots taken every 15 minutes to keep (sanoid's `frequently`). */
  readonly frequently: number;
  /** Hourly snapshots to keep. */
  readonly hourly: number;
  /** Daily snapshots to keep. */
  readonly daily: number;
  /** Monthly snapshots to keep. */
  readonly monthly: number;
  /** Yearly snapshots to keep. */
  readonly yearly: number;
}

/**
 * A snapshot policy of a host: a sanoid template (`services.sanoid.templates.<name>`). Datasets
 * use it with `dataset.snapshot(policy)`; sanoid then takes and prunes their snapshots.
 *
 * ```ts
 * const production = new SnapshotPolicy(maxdata, 'production', { hourly: 36, daily: 30, monthly: 3 });
 * tank.addDataset('vms').snapshot(production, { recursive: true });
 * ```
 */
export class SnapshotPolicy extends Construct {
  /** Is `x` a SnapshotPolicy (of any copy of this library)? */
  public static isSnapshotPolicy(x: unknown): x is SnapshotPolicy {
    return SNAPSHOT_POLICY.is(x);
  }

  /** The snapshot policies of a host, sorted by template name. */
  public static onHost(host: Host): SnapshotPolicy[] {
    return host.node.children.filter(SnapshotPolicy.isSnapshotPolicy).sort(byText((x) => x.templateName));
  }

  /** The host whose sanoid runs the policy. */
  public readonly host: Host;
  /** The sanoid template name. */
  public readonly templateName: string;
  /** How many snapshots of each period are kept. */
  public readonly retention: SnapshotRetention;
  /** Does sanoid take snapshots? */
  public readonly autosnap: boolean;
  /** Does sanoid prune snapshots? */
  public readonly autoprune: boolean;

  public constructor(host: Host, id: string, props: SnapshotPolicyProps = {}) {
    super(host, claimId(host, id));
    checkProps(this, 'SnapshotPolicyProps', props);
    SNAPSHOT_POLICY.mark(this);
    this.host = host;
    this.templateName = props.templateName ?? id;
    this.retention = {
      frequently: props.frequently ?? 0,
      hourly: props.hourly ?? 0,
      daily: props.daily ?? 0,
      monthly: props.monthly ?? 0,
      yearly: props.yearly ?? 0,
    };
    this.autosnap = props.autosnap ?? true;
    this.autoprune = props.autoprune ?? true;
    this.node.addValidation({ validate: () => this.validatePolicy() });
  }

  private validatePolicy(): string[] {
    const errors: string[] = [];
    if (!isSafeName(this.templateName)) {
      errors.push(problem(`snapshot template name "${this.templateName}" is not a plain name`, 'use letters, digits, ".", "_" and "-"'));
    }
    for (const [period, count] of Object.entries(this.retention)) {
      if (!Number.isInteger(count) || count < 0) {
        errors.push(problem(`${period} is ${count}`, `keep a whole number of ${period} snapshots (0 or more)`));
      }
    }
    const same = SnapshotPolicy.onHost(this.host).filter((p) => p.templateName === this.templateName);
    if (same.length > 1 && same[0] !== this) {
      errors.push(problem(`snapshot template ${this.templateName} is also defined by ${same[0].node.path}`, 'give each policy of a host its own templateName'));
    }
    return errors;
  }
}
