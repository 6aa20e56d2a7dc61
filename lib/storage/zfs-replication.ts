import { Construct } from 'constructs';
import { calendarEventProblem } from '../core/calendar';
import { isCalendarExpression, isUserName } from '../core/names';
import { Secret, SecretSource } from '../core/secret';
import { displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { isDatasetSegment } from './zfs-properties';
import { defaultStorageId, ZFS_STORAGE, IZfsStorage } from './zfs-storage';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { recordError } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex, runIndexPer } from '../core/kind';

/** How and when a replication runs. */
export interface ReplicationOptions {
  /**
   * When syncoid runs, as a systemd calendar expression.
   * @default "hourly"
   */
  readonly schedule?: string;
  /**
   * Replicate the child datasets too (`syncoid -r`).
   * @default true
   */
  readonly recursive?: boolean;
  /**
   * The user syncoid logs in as on the target host, for a replication to another host. That user
   * needs `zfs allow` rights to receive there. A local replication logs in nowhere: giving it one
   * is an error.
   * @default "syncoid"
   */
  readonly sshUser?: string;
  /**
   * The SSH private key syncoid uses for a replication to another host: a file or sops secret
   * on the source host. Required for a remote target; a local replication uses none, and giving
   * it one is an error.
   * @default - none (a local replication needs none)
   */
  readonly sshKey?: Secret;
  /**
   * The name of the syncoid command (`services.syncoid.commands.<name>`, unit `syncoid-<name>`).
   * @default - "<source>-to-<target>" with "/" replaced by "-"
   */
  readonly commandName?: string;
}

/** Props of {@link ZfsReplication}. */
export interface ZfsReplicationProps extends ReplicationOptions {
  /** The pool or dataset to copy. */
  readonly source: IZfsStorage;
  /**
   * The full name of the dataset that receives the copies (`tank/backup/fast`). syncoid creates
   * it on the first run, so it must not be a dataset of the model; its pool must exist on the
   * target host.
   */
  readonly target: string;
  /**
   * The host that holds the target; another host than the source's is reached over SSH.
   * @default - the source's host
   */
  readonly targetHost?: Host;
}

const ZFS_REPLICATION = Kind.named<ZfsReplication>('ZfsReplication');

/**
 * Replication of a pool or dataset with syncoid, on the source's host, on a schedule: to another
 * pool of the same host, or to another host over SSH (`services.syncoid.commands`). Usually made
 * with `source.replicateTo(parent)`.
 */
export class ZfsReplication extends Construct {
  /** Is `x` a ZfsReplication (of any copy of this library)? */
  public static isZfsReplication(x: unknown): x is ZfsReplication {
    return ZFS_REPLICATION.is(x);
  }

  /** The replications whose source is on a host (wherever they are declared), sorted by command name. */
  public static fromHost(host: Host): ZfsReplication[] {
    // Every host asks: the lab's replications are indexed once per validation run and synthesis.
    const bySourceHost = BY_SOURCE_HOST.of(host);
    return [...(bySourceHost.get(host) ?? [])].sort(byText((x) => x.commandName));
  }

  /** The pool or dataset copied. */
  public readonly source: IZfsStorage;
  /** The receiving dataset's full name. */
  public readonly target: string;
  /** The host holding the target. */
  public readonly targetHost: Host;
  /** When syncoid runs. */
  public readonly schedule: string;
  /** Are child datasets copied? */
  public readonly recursive: boolean;
  /** The SSH user on a remote target host. */
  public readonly sshUser: string;
  /** The SSH key for a remote target. */
  public readonly sshKey?: Secret;
  /** The syncoid command name. */
  public readonly commandName: string;

  private readonly explicitSshUser?: string;

  public constructor(scope: Construct, id: string, props: ZfsReplicationProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ZfsReplicationProps', props);
    // A replication without a real source is not marked as one (nothing else reads it) and has this one finding.
    const valid = ZFS_STORAGE.is(props.source);
    if (valid) {
      ZFS_REPLICATION.mark(this);
    } else {
      recordError(this, problem('the source of the replication is not a ZfsPool or ZfsDataset of the model', 'give the pool or dataset construct, such as source: pool or source: pool.addDataset(...)'));
    }
    this.source = props.source;
    this.target = props.target;
    this.targetHost = props.targetHost ?? props.source?.host;
    this.schedule = props.schedule ?? 'hourly';
    this.recursive = props.recursive ?? true;
    this.explicitSshUser = props.sshUser;
    this.sshUser = props.sshUser ?? 'syncoid';
    this.sshKey = props.sshKey;
    this.commandName = props.commandName ?? (valid ? `${defaultStorageId(props.source.datasetName)}-to-${defaultStorageId(props.target)}` : id);
    if (valid) {
      this.node.addValidation({ validate: () => this.validateReplication() });
    }
  }

  /** Is the target on another host than the source (reached over SSH)? */
  public get isRemote(): boolean {
    return this.targetHost !== this.source.host;
  }

  /** The target as syncoid takes it: `tank/backup/fast`, or `user@host.domain:tank/backup` when remote. */
  public get syncoidTarget(): string {
    return this.isRemote ? `${this.sshUser}@${this.targetHost.fqdn}:${this.target}` : this.target;
  }

  /** The target's pool name (its first segment). */
  public get targetPool(): string {
    return this.target.split('/')[0];
  }

  private validateReplication(): string[] {
    const errors: string[] = [];
    const segments = this.target.split('/');
    if (!segments.every(isDatasetSegment)) {
      errors.push(problem(`replication target "${this.target}" is not a ZFS dataset name`, 'give the full name of the receiving dataset, e.g. "tank/backup/fast"'));
      return errors;
    }
    // The pools of a host are the pools and datasets directly under it (datasets sit under pools).
    const targetStorages = this.targetHost.node.findAll().filter(ZFS_STORAGE.is);
    const pools = targetStorages.filter((s) => s.node.scope === this.targetHost).map((s) => s.datasetName);
    if (!pools.includes(this.targetPool)) {
      errors.push(
        problem(
          `replication target ${this.target} is on pool ${this.targetPool}, which ${this.targetHost.hostName} does not have`,
          pools.length ? `replicate into one of its pools (${pools.sort().join(', ')})` : `declare the pool on ${this.targetHost.hostName} (new ZfsPool(...))`,
        ),
      );
    }
    const declared = targetStorages.find((s) => s.datasetName === this.target);
    if (declared) {
      errors.push(
        problem(
          `replication target ${this.target} is ${displayPath(declared)}, a dataset of the model: it is created empty with the pool, and syncoid refuses to overwrite a dataset that shares no snapshot with the source`,
          `replicate into a name under it that the model does not declare (source.replicateTo(${declared.node.id}))`,
        ),
      );
    }
    const nonSecretKey = this.sshKey !== undefined ? Secret.describeNonSecret(this.sshKey) : undefined;
    if (nonSecretKey !== undefined) {
      // Never echo the value: it may be the private key itself.
      errors.push(
        problem(
          `the sshKey of the replication is ${nonSecretKey}, not a secret reference; a private key given as a value would be copied into the world-readable Nix store`,
          "give the key's place on the source host: Secret.fromFile('/var/lib/syncoid/.ssh/id_ed25519') or Secret.fromSops({ name: 'syncoid-key' })",
        ),
      );
    }
    if (!this.isRemote) {
      const source = this.source.datasetName;
      if (this.target === source || this.target.startsWith(`${source}/`) || source.startsWith(`${this.target}/`)) {
        errors.push(problem(`replication target ${this.target} overlaps its source ${source}`, 'replicate into another pool or a dataset outside the source'));
      }
      if (this.sshKey !== undefined && nonSecretKey === undefined) {
        errors.push(problem(`the replication stays on ${this.targetHost.hostName}, so syncoid logs in nowhere and would ignore sshKey`, 'remove sshKey, or give targetHost to replicate to another host over SSH'));
      }
      if (this.explicitSshUser !== undefined) {
        errors.push(problem(`the replication stays on ${this.targetHost.hostName}, so syncoid logs in nowhere and would ignore sshUser`, 'remove sshUser, or give targetHost to replicate to another host over SSH'));
      }
    } else {
      if (!this.sshKey) {
        errors.push(problem(`replication to ${this.targetHost.hostName} goes over SSH but has no sshKey`, "give sshKey: Secret.fromFile('/var/lib/syncoid/.ssh/id_ed25519') (a key the target's sshUser accepts)"));
      } else if (nonSecretKey !== undefined) {
        // reported above
      } else if (this.sshKey.hostPath === undefined) {
        errors.push(problem(`the sshKey of the replication is ${this.sshKey.source === SecretSource.ENVIRONMENT ? 'an environment variable' : 'a Terraform variable'} (${this.sshKey}), which syncoid cannot read on the host`, 'use Secret.fromFile or Secret.fromSops'));
      }
      if (!isUserName(this.sshUser)) {
        errors.push(problem(`sshUser "${this.sshUser}" is not a user name`, 'use a Linux user name such as "syncoid"'));
      }
    }
    const cycle = CYCLES.of(this).get(this);
    if (cycle) {
      errors.push(
        problem(
          `the replication copies into itself through ${cycle.length === 1 ? 'another replication' : 'other replications'}: ${[this, ...cycle].map(describeReplication).join(', then ')}; every run copies the copies again, without end`,
          'break the cycle: give one of them recursive: false, or replicate into a dataset outside the other one\'s source',
        ),
      );
    }
    if (!isCalendarExpression(this.schedule)) {
      errors.push(problem(`replication schedule "${this.schedule}" is not a systemd calendar expression (${calendarEventProblem(this.schedule)})`, 'use e.g. "hourly", "daily" or "*-*-* 02:00:00"'));
    }
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(this.commandName)) {
      errors.push(problem(`syncoid command name "${this.commandName}" is not a plain unit name`, 'use lower-case letters, digits, ".", "_" and "-" (set commandName)'));
    } else {
      const first = this.commandsOfHost().get(this.commandName)?.[0];
      if (first && first !== this) {
        errors.push(problem(`syncoid command ${this.commandName} is also made by ${displayPath(first)}`, 'give one of them another commandName'));
      }
    }
    return errors;
  }

  private commandsOfHost(): Map<string, ZfsReplication[]> {
    return COMMANDS_OF_HOST(this.source.host);
  }
}

/** `nas:tank → backup:vault/tank (recursive)`, for messages. */
function describeReplication(r: ZfsReplication): string {
  return `${displayPath(r)} (${r.source.host.hostName}:${r.source.datasetName} → ${r.targetHost.hostName}:${r.target}${r.recursive ? ', recursive' : ''})`;
}

/** Does `next` copy what `r` writes (its target, or a dataset under it when `next` is recursive)? */
function copiesWhatItWrites(r: ZfsReplication, next: ZfsReplication): boolean {
  const source = next.source.datasetName;
  return r.targetHost === next.source.host && (r.target === source || (next.recursive && r.target.startsWith(`${source}/`)));
}

/**
 * The replications that copy back into their own source through others, each with the
 * replications after it on the shortest way around.
 */
function replicationCycles(replications: readonly ZfsReplication[]): Map<ZfsReplication, ZfsReplication[]> {
  // A replication into its own source is refused as an overlap already.
  const next = new Map(replications.map((r) => [r, replications.filter((n) => n !== r && copiesWhatItWrites(r, n))]));
  const cycles = new Map<ZfsReplication, ZfsReplication[]>();
  for (const start of replications) {
    // Breadth first from start's successors, until start comes round again.
    const cameFrom = new Map<ZfsReplication, ZfsReplication | undefined>();
    let frontier = next.get(start)!.map((n) => {
      cameFrom.set(n, undefined);
      return n;
    });
    while (frontier.length > 0 && !cameFrom.has(start)) {
      const following: ZfsReplication[] = [];
      for (const r of frontier) {
        for (const n of next.get(r)!) {
          if (!cameFrom.has(n)) {
            cameFrom.set(n, r);
            following.push(n);
          }
        }
      }
      frontier = following;
    }
    if (cameFrom.has(start)) {
      const way: ZfsReplication[] = [];
      for (let r = cameFrom.get(start); r !== undefined; r = cameFrom.get(r)) {
        way.unshift(r);
      }
      cycles.set(start, way);
    }
  }
  return cycles;
}

/** The replications of the lab by source host, once per validation run. */
const BY_SOURCE_HOST = runIndex((root) => {
  const index = new Map<Host, ZfsReplication[]>();
  for (const r of root.node.findAll().filter(ZfsReplication.isZfsReplication)) {
    index.set(r.source.host, [...(index.get(r.source.host) ?? []), r]);
  }
  return index;
});

/** The replication cycles of the lab, once per validation run. */
const CYCLES = runIndex((root) => replicationCycles(root.node.findAll().filter(ZfsReplication.isZfsReplication)));

/** The replications from each host by syncoid command name, once per validation run. */
const COMMANDS_OF_HOST = runIndexPer((host: Host) => {
  const index = new Map<string, ZfsReplication[]>();
  for (const r of ZfsReplication.fromHost(host)) {
    index.set(r.commandName, [...(index.get(r.commandName) ?? []), r]);
  }
  return index;
});
