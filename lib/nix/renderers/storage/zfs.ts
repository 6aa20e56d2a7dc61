/**
 * ZFS in the flake: for each host with pools or ZfsSettings, `hosts/<host>/zfs.nix` (ZFS
 * support, pools to import, ARC/L2ARC module parameters, scrub, TRIM, sanoid, syncoid, the
 * health check), `hosts/<host>/disko.nix` (the pools' disk layout for disko) and
 * `scripts/create-pools-<host>.sh`; once, `scripts/zfs-health.sh` and `modules/zfs-health.nix`.
 */
import { Homelab } from '../../../core/homelab';
import { Size } from '../../../core/size';
import { Host } from '../../../hosts/host';
import { PartitionType } from '../../../storage/disk';
import { SnapshotPolicy } from '../../../storage/snapshot-policy';
import { ZfsDatasetBase } from '../../../storage/zfs-dataset-base';
import { ZfsReplication } from '../../../storage/zfs-replication';
import { ResolvedZfsSettings, ZfsSettings } from '../../../storage/zfs-settings';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { renderTemplate } from '../../templates';
import { diskoDevices } from './disko';
import { datasetsOf, diskLayout, ESP_MOUNT_OPTIONS, poolsOf } from './layout';
import { watchStorage } from './monitoring';
import { poolCreationSteps, poolPropertySteps } from './scripts';

/** The disko flake input. */
export const DISKO_INPUT = { name: 'disko', url: 'github:nix-community/disko' } as const;

/** The hosts that run ZFS: those with a pool or ZfsSettings. */
export function zfsHosts(lab: Homelab): Host[] {
  return Host.all(lab).filter((h) => poolsOf(h).length > 0 || ZfsSettings.of(h) !== undefined);
}

/** Adds ZFS to every host that has it. */
export function renderStorage(lab: Homelab, flake: NixFlake): void {
  let healthCheck = false;
  const hosts = zfsHosts(lab);
  watchStorage(hosts, flake);
  for (const host of hosts) {
    const settings = ZfsSettings.resolve(host);
    flake.addHostModule(host, 'zfs', renderSettingsModule(lab, `${host.node.path} (ZFS)`, zfsHostSettings(host)));
    if (settings.healthCheck !== false) {
      healthCheck = true;
      flake.importSharedModule(host, 'zfs-health');
    }
    if (poolsOf(host).length === 0) {
      continue;
    }
    if (settings.disko) {
      flake.addInput(DISKO_INPUT);
      flake.addHostFlakeModule(host, DISKO_INPUT.name, 'disko');
      flake.addHostModule(host, 'disko', renderSettingsModule(lab, `${host.node.path} (ZFS pools, for disko)`, { disko: { devices: diskoDevices(host) } }));
    }
    flake.addFile(`scripts/create-pools-${host.hostName}.sh`, renderCreatePoolsScript(lab, host), { executable: true });
  }
  if (healthCheck) {
    flake.addFile('scripts/zfs-health.sh', renderTemplate('storage/zfs-health.sh.hbs', { header: generatedHeader(lab) }), { executable: true });
    flake.addSharedModule('zfs-health', renderTemplate('storage/zfs-health.nix.hbs', { header: generatedHeader(lab, 'the ZFS health check') }));
  }
}

/** The NixOS settings of a host's ZFS (`hosts/<host>/zfs.nix`). */
export function zfsHostSettings(host: Host): NixAttrs {
  const settings = ZfsSettings.resolve(host);
  const pools = poolsOf(host);
  const bootPools = pools.filter((p) => p.neededForBoot);
  const laterPools = pools.filter((p) => !p.neededForBoot).map((p) => p.poolName);
  const moduleParameters = zfsModuleParameters(settings);
  const health = settings.healthCheck;
  return {
    boot: {
      supportedFilesystems: { zfs: true },
      initrd: bootPools.length ? { supportedFilesystems: { zfs: true } } : undefined,
      zfs: {
        // Import by the stable names the pools were created with.
        devNodes: '/dev/disk/by-id',
        // Pools are created under the host's own hostid (scripts/create-pools-<host>.sh), so the
        // root pool needs no forced import (nixpkgs' zfs.nix warns while this is left at true).
        forceImportRoot: settings.forceImportRoot,
        extraPools: laterPools.length ? laterPools : undefined,
      },
      kernelParams: moduleParameters.length ? moduleParameters : undefined,
    },
    fileSystems: settings.disko ? undefined : nixosMountedFileSystems(host),
    services: {
      zfs: {
        autoScrub: settings.scrub === false ? { enable: false } : { enable: true, interval: settings.scrub },
        trim: settings.trim === false ? { enable: false } : { enable: true, interval: settings.trim },
      },
      sanoid: sanoidSettings(host),
      syncoid: syncoidSettings(host),
    },
    homelab:
      health === false
        ? undefined
        : { zfsHealth: { enable: true, schedule: health.schedule, capacityThreshold: health.capacityThreshold, specialThreshold: health.specialThreshold } },
  };
}

/** The `zfs` kernel module parameters of the ARC and L2ARC settings, as kernel command-line words. */
export function zfsModuleParameters(settings: ResolvedZfsSettings): string[] {
  const bytes = (s: Size | undefined) => (s === undefined ? undefined : String(s.toBytes()));
  const noPrefetch = settings.l2arc.noPrefetch;
  const parameters: Array<[string, string | undefined]> = [
    ['zfs_arc_max', bytes(settings.arcMax)],
    ['zfs_arc_min', bytes(settings.arcMin)],
    ['l2arc_write_max', bytes(settings.l2arc.writeMax)],
    ['l2arc_write_boost', bytes(settings.l2arc.writeBoost)],
    ['l2arc_noprefetch', noPrefetch === undefined ? undefined : noPrefetch ? '1' : '0'],
  ];
  return parameters.filter(([, v]) => v !== undefined).map(([name, value]) => `zfs.${name}=${value}`);
}

/** `services.sanoid`: the host's snapshot policies as templates, and the datasets that use them. */
export function sanoidSettings(host: Host): NixAttrs | undefined {
  const datasets: Record<string, NixAttrs> = {};
  for (const dataset of allDatasetsOf(host)) {
    const assignments = dataset.snapshots;
    if (assignments.length === 0) {
      continue;
    }
    const recursive = assignments.find((a) => a.recursive !== false)?.recursive;
    datasets[dataset.datasetName] = {
      use_template: [...new Set(assignments.map((a) => (typeof a.policy === 'string' ? a.policy : a.policy.templateName)))],
      recursive,
      process_children_only: assignments.some((a) => a.processChildrenOnly) ? true : undefined,
    };
  }
  if (Object.keys(datasets).length === 0) {
    return undefined;
  }
  const templates: Record<string, NixAttrs> = {};
  for (const policy of SnapshotPolicy.onHost(host)) {
    templates[policy.templateName] = { ...policy.retention, autosnap: policy.autosnap, autoprune: policy.autoprune };
  }
  return { enable: true, templates, datasets };
}

/**
 * `services.syncoid`: one command per replication from this host. The most common schedule is
 * the service-wide interval; a replication with another schedule overrides its unit's `startAt`.
 */
export function syncoidSettings(host: Host): NixAttrs | undefined {
  const replications = ZfsReplication.fromHost(host);
  if (replications.length === 0) {
    return undefined;
  }
  const counts = new Map<string, number>();
  for (const r of replications) {
    counts.set(r.schedule, (counts.get(r.schedule) ?? 0) + 1);
  }
  const interval = [...counts.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  const commands: Record<string, NixAttrs> = {};
  for (const r of replications) {
    commands[r.commandName] = {
      source: r.source.datasetName,
      target: r.syncoidTarget,
      recursive: r.recursive,
      sshKey: r.isRemote ? r.sshKey?.hostPath : undefined,
      service: r.schedule === interval ? undefined : { startAt: NixExpr.call('lib.mkForce', r.schedule) },
    };
  }
  return { enable: true, interval, commands };
}

/**
 * The file systems NixOS mounts itself, without disko: datasets at paths NixOS needs at boot
 * (`mountpoint=legacy`) and EFI system partitions of the pools' disks.
 */
export function nixosMountedFileSystems(host: Host): NixAttrs | undefined {
  const fileSystems: Record<string, NixAttrs> = {};
  for (const dataset of allDatasetsOf(host)) {
    if (dataset.mountedByNixos) {
      fileSystems[dataset.options.mountpoint!] = { device: dataset.datasetName, fsType: 'zfs' };
    }
  }
  for (const use of diskLayout(host)) {
    for (const p of use.partitions) {
      if (p.partition.type === PartitionType.EFI_SYSTEM) {
        fileSystems[p.partition.mountpoint!] = { device: p.partition.path, fsType: 'vfat', options: [...ESP_MOUNT_OPTIONS] };
      }
    }
  }
  return Object.keys(fileSystems).length ? fileSystems : undefined;
}

function allDatasetsOf(host: Host): ZfsDatasetBase[] {
  return poolsOf(host).flatMap((p) => datasetsOf(p));
}

/** `scripts/create-pools-<host>.sh`. */
export function renderCreatePoolsScript(lab: Homelab, host: Host): string {
  const pools = poolsOf(host);
  return renderTemplate('storage/create-pools.sh.hbs', {
    header: generatedHeader(lab, `${host.node.path} (ZFS pools)`),
    description:
      `Creates the ZFS pools of ${host.hostName} (${pools.map((p) => p.poolName).join(', ')}) from the model: partitions, ` +
      '`zpool create`, `zfs create`. The same layout as hosts/' +
      `${host.hostName}/disko.nix. Pools that already exist need none of this.`,
    hostId: host.hostId,
    pools: pools.map((p) => p.poolName),
    disks: diskLayout(host).map((d) => d.disk.path),
    creation: poolCreationSteps(host),
    properties: poolPropertySteps(host),
  });
}
