/** The storage's part of the first deploy: the pools created in the installer, checked after a reboot. */
import { Homelab } from '../core/homelab';
import { ZfsPool } from '../storage/zfs-pool';
import { HostStepPart, RunbookContribution } from './runbook-step';

/** Per host with pools: its pool script before `nixos-install`, and `zpool status` of each pool. */
export function storageRunbook(lab: Homelab): RunbookContribution {
  const pools = lab.node.findAll().filter(ZfsPool.isZfsPool);
  const hostParts: HostStepPart[] = [];
  for (const host of [...new Set(pools.map((p) => p.host))]) {
    const script = `nix/scripts/create-pools-${host.hostName}.sh`;
    hostParts.push({
      host,
      prepare: [`sudo bash ${script}                      # prints what it would do`, `sudo bash ${script} --yes-destroy-data`],
      checks: ZfsPool.onHost(host).map((pool) => `zpool status ${pool.poolName}   # ONLINE, after a reboot too`),
    });
  }
  return { hostParts };
}
