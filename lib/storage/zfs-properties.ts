/**
 * ZFS dataset properties as typed options, shared by a pool's root dataset and every dataset,
 * and their translation into `name=value` pairs as `zfs create -o`, `zpool create -O` and disko
 * take them.
 */
import { Size } from '../core/size';
import { compareText } from '../core/order';

/** Properties of a ZFS file system. Each left out is inherited from the parent (ZFS's own rule). */
export interface ZfsDatasetOptions {
  /**
   * `recordsize`: the largest block of a file (16K for databases, 1M for media).
   * @default - inherited (ZFS: 128K)
   */
  readonly recordsize?: Size;
  /**
   * `compression`: `lz4`, `zstd`, `zstd-3`, `gzip-9`, `off`, …
   * @default - inherited
   */
  readonly compression?: string;
  /**
   * `atime`: record access times.
   * @default - inherited
   */
  readonly atime?: boolean;
  /**
   * `xattr`: where extended attributes live (`sa` stores them in the inode: faster on Linux).
   * @default - inherited
   */
  readonly xattr?: 'sa' | 'on' | 'off' | 'dir';
  /**
   * `acltype`: POSIX ACLs (what Linux tools and containers expect), NFSv4 ACLs, or none.
   * @default - inherited
   */
  readonly acltype?: 'posix' | 'nfsv4' | 'off';
  /**
   * `quota`: the most the dataset and its children may use.
   * @default - none
   */
  readonly quota?: Size;
  /**
   * `reservation`: space kept for the dataset and its children.
   * @default - none
   */
  readonly reservation?: Size;
  /**
   * `mountpoint`: an absolute path, or `none`. Datasets mounted at a path NixOS needs at boot
   * (`/`, `/nix`, `/var`, …) are written as `mountpoint=legacy` and mounted through NixOS's
   * `fileSystems`, as NixOS recommends; the others are mounted by ZFS.
   * @default - inherited: the parent's mountpoint plus the dataset's name
   */
  readonly mountpoint?: string;
  /**
   * `sync`: how synchronous writes are honoured. A log vdev (SLOG) only speeds up these.
   * @default - inherited
   */
  readonly sync?: 'standard' | 'always' | 'disabled';
  /**
   * `special_small_blocks`: blocks up to this size go to the pool's special vdev. Must stay
   * below the dataset's recordsize (and the 16K volblocksize of zvols under it), or every block
   * of the dataset lands there.
   * @default - inherited (the pool's special vdev's threshold, or 0: metadata only); 0 on a
   *   dataset that holds zvols (it backs a Proxmox ZFS storage or receives replicas of one)
   */
  readonly specialSmallBlocks?: Size;
  /**
   * Any other ZFS property, by its ZFS name (`"com.sun:auto-snapshot": "false"`, `logbias`, …).
   * Typed options above win over the same name here.
   * @default {}
   */
  readonly properties?: Readonly<Record<string, string>>;
}

/** The paths NixOS mounts in stage 1 (its `pathsNeededForBoot`). */
export const PATHS_NEEDED_FOR_BOOT: readonly string[] = ['/', '/nix', '/nix/store', '/var', '/var/log', '/var/lib', '/var/lib/nixos', '/etc', '/usr'];

/** A ZFS size value: the largest binary unit that holds it exactly (`32K`, `16G`), else bytes. */
export function zfsSize(size: Size): string {
  const bytes = size.toBytes();
  for (const [unit, factor] of [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) {
      return `${bytes / factor}${unit}`;
    }
  }
  return String(bytes);
}

/**
 * The ZFS properties of a set of options, by ZFS name, sorted by name. A mountpoint NixOS needs
 * at boot becomes `legacy` (NixOS mounts it).
 */
export function zfsProperties(options: ZfsDatasetOptions): Record<string, string> {
  const typed: Record<string, string | undefined> = {
    recordsize: options.recordsize ? zfsSize(options.recordsize) : undefined,
    compression: options.compression,
    atime: options.atime === undefined ? undefined : options.atime ? 'on' : 'off',
    xattr: options.xattr,
    acltype: options.acltype,
    quota: options.quota ? zfsSize(options.quota) : undefined,
    reservation: options.reservation ? zfsSize(options.reservation) : undefined,
    mountpoint: options.mountpoint === undefined ? undefined : isMountedByNixos(options.mountpoint) ? 'legacy' : options.mountpoint,
    sync: options.sync,
    special_small_blocks: options.specialSmallBlocks ? zfsSize(options.specialSmallBlocks) : undefined,
  };
  const all: Record<string, string> = { ...(options.properties ?? {}) };
  for (const [name, value] of Object.entries(typed)) {
    if (value !== undefined) {
      all[name] = value;
    }
  }
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => compareText(a, b)));
}

/** Is this mountpoint one NixOS mounts itself (a path it needs at boot)? */
export function isMountedByNixos(mountpoint: string | undefined): boolean {
  return mountpoint !== undefined && PATHS_NEEDED_FOR_BOOT.includes(mountpoint);
}

/** What is wrong with a set of options: malformed names or values. */
export function datasetOptionProblems(options: ZfsDatasetOptions): string[] {
  const problems: string[] = [];
  const mp = options.mountpoint;
  if (mp !== undefined && mp !== 'none' && !isAbsolutePath(mp)) {
    problems.push(`mountpoint "${mp}" is neither an absolute path of plain segments nor "none"`);
  }
  if (options.compression !== undefined && !/^(on|off|lz4|lzjb|zle|gzip(-[1-9])?|zstd(-fast)?(-\d+)?)$/.test(options.compression)) {
    problems.push(`compression "${options.compression}" is not a ZFS compression (lz4, zstd, zstd-3, gzip-9, off, …)`);
  }
  for (const [what, size] of [
    ['recordsize', options.recordsize],
    ['specialSmallBlocks', options.specialSmallBlocks],
  ] as const) {
    if (size !== undefined && !isBlockSize(size, what === 'specialSmallBlocks')) {
      problems.push(`${what} ${size} is not a power of two from 512 B to 16 MiB${what === 'specialSmallBlocks' ? ' (or 0)' : ''}`);
    }
  }
  for (const [name, value] of Object.entries(options.properties ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(name) && !/^[a-z0-9_.+-]+:[a-z0-9_.+:-]+$/.test(name)) {
      problems.push(`property name "${name}" is neither a ZFS property nor a user property (module:name)`);
    }
    if (typeof value !== 'string' || value === '' || /[\u0000-\u001f]/.test(value)) {
      problems.push(`property ${name} has a value that is not a non-empty single-line string`);
    }
  }
  return problems;
}

function isBlockSize(size: Size, zeroAllowed: boolean): boolean {
  const b = size.toBytes();
  if (b === 0) {
    return zeroAllowed;
  }
  return b >= 512 && b <= 16 * 2 ** 20 && (b & (b - 1)) === 0;
}

/** An absolute path of plain segments (no `.`, `..`, empty segments or odd characters). */
export function isAbsolutePath(path: string): boolean {
  if (path === '/') {
    return true;
  }
  return path.startsWith('/') && path.slice(1).split('/').every((s) => /^[A-Za-z0-9_.+@-]+$/.test(s) && s !== '.' && s !== '..');
}

/** A ZFS pool name: starts with a letter; not a word `zpool create` reads as a keyword. */
export function isZfsPoolName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(name) && !/^(mirror|raidz\d?|draid\d?|spare|log|special|cache|dedup)$/.test(name) && !/^c\d/.test(name);
}

/** One segment of a ZFS dataset name. */
export function isDatasetSegment(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(name) && name !== '.' && name !== '..';
}
