/**
 * The shape of a disko configuration, as the parts of disko's types the library writes declare it
 * (nix-community/disko lib/types: disk.nix, gpt.nix, zfs.nix, filesystem.nix, zpool.nix,
 * zfs_fs.nix): allowed attributes, enums and patterns, plus disko's own rule that every device
 * given to a pool is a member of its topology and every member is such a device. The nixos-eval
 * checker declares `disko.devices` loosely, so the tests check it here.
 */

type Json = any;

const ZPOOL_MODES = ['', 'mirror', 'raidz', 'raidz1', 'raidz2', 'raidz3'];

/** The problems of a `disko.devices` value; empty when it has the shape disko's types take. */
export function diskoProblems(devices: Json): string[] {
  const problems: string[] = [];
  const at = (path: string, message: string) => problems.push(`${path}: ${message}`);
  const keysWithin = (path: string, value: Json, allowed: string[]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      at(path, 'is not an attribute set');
      return false;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) at(path, `has no option ${key} (allowed: ${allowed.join(', ')})`);
    }
    return true;
  };
  const strings = (path: string, value: Json) => {
    if (keysWithin(path, value, Object.keys(value ?? {}))) {
      for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') at(`${path}.${k}`, 'is not a string');
    }
  };
  const absolute = (path: string, value: Json) => {
    if (typeof value !== 'string' || !value.startsWith('/')) at(path, 'is not an absolute path');
  };

  keysWithin('disko.devices', devices, ['disk', 'zpool']);
  const zfsDevices = new Map<string, string>(); // device → pool
  for (const [name, disk] of Object.entries<Json>(devices.disk ?? {})) {
    const path = `disk.${name}`;
    keysWithin(path, disk, ['type', 'device', 'content']);
    if (disk.type !== 'disk') at(`${path}.type`, 'is not "disk"');
    absolute(`${path}.device`, disk.device);
    const content = disk.content;
    if (content?.type === 'zfs') {
      keysWithin(`${path}.content`, content, ['type', 'pool']);
      zfsDevices.set(disk.device, content.pool);
    } else if (content?.type === 'gpt') {
      keysWithin(`${path}.content`, content, ['type', 'partitions']);
      for (const [pname, part] of Object.entries<Json>(content.partitions ?? {})) {
        const ppath = `${path}.content.partitions.${pname}`;
        keysWithin(ppath, part, ['type', 'size', 'priority', 'device', 'content']);
        if (!/^([0-9]+[KMGTP]?|100%)$/.test(part.size)) at(`${ppath}.size`, `"${part.size}" is not an sgdisk size`);
        if (!/^[A-Fa-f0-9]{4}$/.test(part.type)) at(`${ppath}.type`, `"${part.type}" is not a type code`);
        if (!Number.isInteger(part.priority)) at(`${ppath}.priority`, 'is not an integer');
        absolute(`${ppath}.device`, part.device);
        const c = part.content;
        if (c?.type === 'zfs') {
          keysWithin(`${ppath}.content`, c, ['type', 'pool']);
          zfsDevices.set(part.device, c.pool);
        } else if (c?.type === 'filesystem') {
          keysWithin(`${ppath}.content`, c, ['type', 'format', 'mountpoint', 'mountOptions']);
          absolute(`${ppath}.content.mountpoint`, c.mountpoint);
        } else if (c !== undefined) {
          at(`${ppath}.content`, `has an unexpected type ${c?.type}`);
        }
      }
    } else {
      at(`${path}.content`, `has an unexpected type ${content?.type}`);
    }
  }

  for (const [name, pool] of Object.entries<Json>(devices.zpool ?? {})) {
    const path = `zpool.${name}`;
    keysWithin(path, pool, ['type', 'mode', 'options', 'rootFsOptions', 'datasets', 'mountpoint']);
    if (pool.type !== 'zpool') at(`${path}.type`, 'is not "zpool"');
    strings(`${path}.options`, pool.options ?? {});
    strings(`${path}.rootFsOptions`, pool.rootFsOptions ?? {});
    const topology = pool.mode?.topology;
    keysWithin(`${path}.mode`, pool.mode, ['topology']);
    keysWithin(`${path}.mode.topology`, topology, ['type', 'vdev', 'special', 'log', 'cache', 'spare', 'dedup']);
    if (topology?.type !== 'topology') at(`${path}.mode.topology.type`, 'is not "topology"');
    const members: string[] = [];
    for (const kind of ['vdev', 'special', 'log', 'dedup'] as const) {
      for (const [i, vdev] of (topology?.[kind] ?? []).entries()) {
        const vpath = `${path}.mode.topology.${kind}[${i}]`;
        keysWithin(vpath, vdev, ['mode', 'members']);
        if (!ZPOOL_MODES.includes(vdev.mode ?? '')) at(`${vpath}.mode`, `"${vdev.mode}" is not a disko vdev mode`);
        if (!Array.isArray(vdev.members) || vdev.members.length === 0) at(`${vpath}.members`, 'is not a non-empty list');
        members.push(...(vdev.members ?? []));
      }
    }
    members.push(...(topology?.cache ?? []), ...(topology?.spare ?? []));
    const given = [...zfsDevices.entries()].filter(([, p]) => p === name).map(([d]) => d);
    for (const m of members) if (!given.includes(m)) at(`${path}.mode.topology`, `member ${m} is no device with content { type = "zfs"; pool = "${name}"; }`);
    for (const d of given) if (!members.includes(d)) at(`${path}.mode.topology`, `device ${d} is given to the pool but in no vdev`);
    for (const [dname, ds] of Object.entries<Json>(pool.datasets ?? {})) {
      const dpath = `${path}.datasets."${dname}"`;
      keysWithin(dpath, ds, ['type', 'mountpoint', 'options']);
      if (ds.type !== 'zfs_fs') at(`${dpath}.type`, 'is not "zfs_fs"');
      if (ds.mountpoint !== undefined) absolute(`${dpath}.mountpoint`, ds.mountpoint);
      strings(`${dpath}.options`, ds.options ?? {});
    }
  }
  for (const pool of new Set(zfsDevices.values())) {
    if (!(pool in (devices.zpool ?? {}))) at('zpool', `pool ${pool} has devices but is not declared`);
  }
  return problems;
}
