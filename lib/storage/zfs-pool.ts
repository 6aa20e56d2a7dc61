import { Size } from '../core/size';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { DiagramParts, DiagramShape, IDiagramPartHolder, markDiagramPartHolder } from '../core/diagram-part';
import { displayPath, problem } from '../core/validation';
import { HardwareKind } from '../hosts/hardware-profile';
import { Host } from '../hosts/host';
import { CacheVdev, CacheVdevProps } from './cache-vdev';
import { poolSummary, usableCapacity, vdevsOf } from './capacity';
import { DataVdev, DataVdevProps } from './data-vdev';
import { diskOf, PartitionType } from './disk';
import { LogVdev, LogVdevProps } from './log-vdev';
import { SpecialVdev, SpecialVdevProps } from './special-vdev';
import { Vdev, VdevRole } from './vdev';
import { ZfsDataset, ZfsDatasetProps } from './zfs-dataset';
import { ZfsDatasetBase, ZfsDatasetBaseProps } from './zfs-dataset-base';
import { datasetOptionProblems, isZfsPoolName } from './zfs-properties';
import { byText } from '../core/order';
import { checkProps } from '../core/props-check';
import { ISummaryPartHolder, markSummaryPartHolder, SummaryPart, SummaryPartKind } from '../core/summary-part';
import { Kind } from '../core/kind';

/** Props of {@link ZfsPool}: the pool's own settings and its root dataset's properties. */
export interface ZfsPoolProps extends Omit<ZfsDatasetBaseProps, 'specialSmallBlocks'> {
  /**
   * The pool's name (`zpool create <name>`).
   * @default - the construct id
   */
  readonly poolName?: string;
  /**
   * `ashift`: log2 of the sector size ZFS writes (12 = 4 KiB, right for current disks and SSDs).
   * It cannot be changed after a vdev is added.
   * @default 12
   */
  readonly ashift?: number;
  /**
   * `autotrim`: TRIM freed blocks continuously. The host's weekly TRIM (ZfsSettings) is the
   * usual alternative.
   * @default false
   */
  readonly autotrim?: boolean;
  /**
   * Other pool properties (`zpool create -o`), by name (`{ comment: "main storage" }`).
   * @default {}
   */
  readonly poolProperties?: Readonly<Record<string, string>>;
  /**
   * `compression` of the root dataset, inherited by every dataset.
   * @default "lz4"
   */
  readonly compression?: string;
  /**
   * `atime` of the root dataset.
   * @default false
   */
  readonly atime?: boolean;
  /**
   * `xattr` of the root dataset.
   * @default "sa"
   */
  readonly xattr?: 'sa' | 'on' | 'off' | 'dir';
  /**
   * `acltype` of the root dataset.
   * @default "posix"
   */
  readonly acltype?: 'posix' | 'nfsv4' | 'off';
  /**
   * Where the root dataset is mounted (children inherit `<mountpoint>/<name>`), or `none`.
   * @default - "/<poolName>", as ZFS does
   */
  readonly mountpoint?: string;
}

const ZFS_POOL = Kind.named<ZfsPool>('ZfsPool');

/**
 * A ZFS pool on a host: its data vdevs, special, log and cache vdevs, its root dataset and the
 * datasets under it. The pool becomes `boot.zfs.extraPools` (or a root pool mounted through
 * NixOS), a disko `zpool`, and the `zpool create` of `scripts/create-pools-<host>.sh`.
 *
 * ```ts
 * const tank = new ZfsPool(maxdata, 'tank');
 * tank.addDataVdev({ layout: VdevLayout.RAIDZ1, devices: hdds });
 * tank.addSpecialVdev({ devices: [ssd1Special, ssd2Special], smallBlocks: Size.kibibytes(32) });
 * const vms = tank.addDataset('vms');
 * ```
 */
export class ZfsPool extends ZfsDatasetBase implements IHostRoleHolder, IDiagramPartHolder, ISummaryPartHolder {
  /** Is `x` a ZfsPool (of any copy of this library)? */
  public static isZfsPool(x: unknown): x is ZfsPool {
    return ZFS_POOL.is(x);
  }

  /** The pools of a host, sorted by name. */
  public static onHost(host: Host): ZfsPool[] {
    return host.node.children.filter(ZfsPool.isZfsPool).sort(byText((x) => x.poolName));
  }

  /** The host. */
  public readonly host: Host;
  /** The pool's name. */
  public readonly poolName: string;
  /** `ashift`. */
  public readonly ashift: number;
  /** `autotrim`. */
  public readonly autotrim: boolean;
  /** Other pool properties. */
  public readonly poolProperties: Readonly<Record<string, string>>;

  public constructor(host: Host, id: string, props: ZfsPoolProps = {}) {
    const { poolName, ashift, autotrim, poolProperties, ...rootDataset } = props;
    super(host, id, {
      ...rootDataset,
      compression: rootDataset.compression ?? 'lz4',
      atime: rootDataset.atime ?? false,
      xattr: rootDataset.xattr ?? 'sa',
      acltype: rootDataset.acltype ?? 'posix',
    });
    checkProps(this, 'ZfsPoolProps', props);
    ZFS_POOL.mark(this);
    markHostRoleHolder(this);
    markDiagramPartHolder(this);
    markSummaryPartHolder(this);
    this.host = host;
    this.poolName = poolName ?? id;
    this.ashift = ashift ?? 12;
    this.autotrim = autotrim ?? false;
    this.poolProperties = { ...(poolProperties ?? {}) };
    this.node.addValidation({ validate: () => this.validatePool() });
  }

  /** The pool's name: the name of its root dataset. */
  public get datasetName(): string {
    return this.poolName;
  }

  /** A pool's root dataset has no parent. */
  public get parentDataset(): undefined {
    return undefined;
  }

  protected get rootSpecialSmallBlocks(): Size | undefined {
    return this.specialVdevs.find((v) => v.smallBlocks !== undefined)?.smallBlocks;
  }

  /** Does the pool have a special vdev? */
  public get poolHasSpecialVdev(): boolean {
    return this.specialVdevs.length > 0;
  }

  /** Adds a data vdev (raidz1/2/3, mirror or stripe). Several data vdevs are striped. */
  public addDataVdev(props: DataVdevProps): DataVdev {
    return new DataVdev(this, `data-${this.dataVdevs.length + 1}`, props);
  }

  /** Adds the special vdev (metadata and small blocks). */
  public addSpecialVdev(props: SpecialVdevProps): SpecialVdev {
    return new SpecialVdev(this, this.uniqueId('special'), props);
  }

  /** Adds the log vdev (SLOG). */
  public addLogVdev(props: LogVdevProps): LogVdev {
    return new LogVdev(this, this.uniqueId('log'), props);
  }

  /** Adds the cache vdev (L2ARC). */
  public addCacheVdev(props: CacheVdevProps): CacheVdev {
    return new CacheVdev(this, this.uniqueId('cache'), props);
  }

  /** Adds a dataset directly under the root dataset (`tank/vms`). */
  public addDataset(name: string, props: ZfsDatasetProps = {}): ZfsDataset {
    return new ZfsDataset(this, name, props);
  }

  /** The data vdevs. */
  public get dataVdevs(): DataVdev[] {
    return vdevsOf(this, VdevRole.DATA) as DataVdev[];
  }
  /** The special vdevs. */
  public get specialVdevs(): SpecialVdev[] {
    return vdevsOf(this, VdevRole.SPECIAL) as SpecialVdev[];
  }
  /** The log vdevs. */
  public get logVdevs(): LogVdev[] {
    return vdevsOf(this, VdevRole.LOG) as LogVdev[];
  }
  /** The cache vdevs. */
  public get cacheVdevs(): CacheVdev[] {
    return vdevsOf(this, VdevRole.CACHE) as CacheVdev[];
  }
  /** Every vdev, data first, then special, log and cache. */
  public get vdevs(): Vdev[] {
    return [...this.dataVdevs, ...this.specialVdevs, ...this.logVdevs, ...this.cacheVdevs];
  }

  /** The root dataset's ZFS options in effect (the pool's defaults and the special vdev's threshold). */
  public get rootOptions(): ZfsDatasetBaseProps {
    return this.zfsOptions;
  }

  /**
   * Is the pool needed at boot: does it hold a file system NixOS mounts in stage 1 (`/`, `/nix`…)?
   * Other pools are imported after boot (`boot.zfs.extraPools`).
   */
  public get neededForBoot(): boolean {
    return this.allDatasets.some((d) => d.mountedByNixos);
  }

  /** Are the data vdevs redundant (each a mirror or raidz)? */
  public get hasRedundantData(): boolean {
    const data = this.dataVdevs;
    return data.length > 0 && data.every((v) => v.redundancy > 0);
  }

  /** A file system the pool provides must not also come from the host's hardware profile. */
  private validateHardwareFileSystems(): string[] {
    const errors: string[] = [];
    const hardware = this.host.hardware.details;
    // A file profile's file systems are in the user's own file, which the library does not read.
    const rootFileSystem = hardware.kind === HardwareKind.FILE ? undefined : hardware.rootFileSystem;
    const bootFileSystem = hardware.kind === HardwareKind.BARE_METAL ? hardware.bootFileSystem : undefined;
    const root = this.allDatasets.find((d) => d.options.mountpoint === '/');
    if (root && rootFileSystem) {
      errors.push(
        problem(
          `${root.datasetName} is mounted at / but the hardware profile of ${this.host.hostName} also declares the root file system (${rootFileSystem.device})`,
          'set rootFileSystem: false in the host\'s HardwareProfile.bareMetal(...)',
        ),
      );
    }
    const esps = this.vdevs
      .flatMap((v) => v.devices)
      .flatMap((d) => diskOf(d).partitions)
      .filter((p) => p.type === PartitionType.EFI_SYSTEM && p.mountpoint === '/boot');
    if (esps.length > 0 && bootFileSystem) {
      errors.push(
        problem(
          `the EFI system partition ${esps[0].path} is mounted at /boot but the hardware profile of ${this.host.hostName} also declares /boot (${bootFileSystem.device})`,
          'set bootFileSystem: false in the host\'s HardwareProfile.bareMetal(...)',
        ),
      );
    }
    return errors;
  }

  private uniqueId(base: string): string {
    let id = base;
    for (let n = 2; this.node.tryFindChild(id); n++) {
      id = `${base}-${n}`;
    }
    return id;
  }

  private validatePool(): string[] {
    const errors: string[] = [];
    if (!isZfsPoolName(this.poolName)) {
      errors.push(problem(`pool name "${this.poolName}" is not a ZFS pool name`, 'start with a letter; use letters, digits, "_", "-", "." and ":"; avoid mirror, raidz, spare, log, special, cache'));
    }
    const same = ZfsPool.onHost(this.host).filter((p) => p.poolName === this.poolName);
    if (same.length > 1 && same[0] !== this) {
      errors.push(problem(`${this.host.hostName} has two pools named ${this.poolName} (also ${displayPath(same[0])})`, 'give each pool of a host its own name'));
    }
    if (!Number.isInteger(this.ashift) || this.ashift < 9 || this.ashift > 16) {
      errors.push(problem(`ashift ${this.ashift} is not between 9 and 16`, 'use 12 (4 KiB sectors) unless the disks need 13 (8 KiB)'));
    }
    if (this.dataVdevs.length === 0) {
      errors.push(problem(`pool ${this.poolName} has no data vdev`, 'add one with pool.addDataVdev({ layout, devices })'));
    }
    for (const name of Object.keys(this.poolProperties)) {
      if (!/^[a-z][a-z0-9_@:.-]*$/.test(name)) {
        errors.push(problem(`pool property name "${name}" is not a zpool property`, 'use a name as `zpool get all` lists it'));
      }
    }
    errors.push(...datasetOptionProblems(this.options).map((p) => problem(p, 'correct the pool\'s root dataset options')));
    errors.push(...this.validateHardwareFileSystems());
    errors.push(...this.validateDataset());
    return errors;
  }

  /** The role it gives its host: the host that imports the pool. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: `pool ${this.poolName}` }];
  }

  /** What it adds to the summary: its line in the pools, with its usable capacity and layout. */
  public summaryParts(): SummaryPart[] {
    return [{ kind: SummaryPartKind.POOL, host: this.host.hostName, name: this.poolName, usable: usableCapacity(this), layout: poolSummary(this) }];
  }

  /** What it adds to the diagram: the pool with its usable capacity, beside its host. */
  public diagramParts(): DiagramParts {
    return { nodes: [{ node: this, label: [this.poolName, `${usableCapacity(this)}`], shape: DiagramShape.DATABASE }], edges: [{ from: this.host, to: this }] };
  }
}
