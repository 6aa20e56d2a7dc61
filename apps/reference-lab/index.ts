/**
 * The reference homelab (see README.md): one flat LAN, a Proxmox VE hypervisor on NixOS
 * (maxdata), a Raspberry Pi as the network anchor (pi-network) and a four-node k3s cluster.
 * Written with the public API only, as a user's own lab would be.
 */
import { Homelab } from '../../lib';
import { addCluster, ReferenceCluster } from './cluster';
import { addCompute, ReferenceCompute } from './compute';
import { addHosts, ReferenceHosts } from './hosts';
import { addNetwork, ReferenceNetwork } from './network';
import { addOperations, ReferenceOperations } from './operations';
import { addStorage, ReferenceStorage } from './storage';

/** The lab and its main constructs, for the entry points and the tests. */
export interface ReferenceLab extends ReferenceHosts, ReferenceNetwork {
  readonly lab: Homelab;
  /** maxdata's pools, datasets and their policies. */
  readonly storage: ReferenceStorage;
  /** The k3s cluster and its workloads. */
  readonly k3s: ReferenceCluster;
  /** maxdata's Proxmox role, its storages and the VMs. */
  readonly compute: ReferenceCompute;
  /** The monitoring and the off-site backup on maxdata. */
  readonly operations: ReferenceOperations;
}

/** Builds the reference lab's construct tree. */
export function buildReferenceLab(): ReferenceLab {
  const lab = new Homelab({
    name: 'homelab',
    domain: 'local',
    // 192.168.178.0/24 is the FRITZ!Box default network, hence the German time zone and
    // the router at .1 (the lab's facts do not name the gateway).
    timeZone: 'Europe/Berlin',
    network: {
      cidr: '192.168.178.0/24',
      gateway: '192.168.178.1',
      dhcpRange: { start: '192.168.178.50', end: '192.168.178.200' },
      // The lab's static leases (.97, .101–.103) lie inside its dynamic range. dnsmasq never
      // hands out an address it holds a static lease for, so this is safe here.
      allowStaticAddressesInDhcpRange: true,
      bridgeName: 'vmbr0',
    },
  });
  const hosts = addHosts(lab);
  const storage = addStorage(hosts.maxdata);
  const k3s = addCluster(lab, hosts);
  const compute = addCompute(lab, hosts, storage);
  const network = addNetwork(hosts, k3s.adguard, compute.proxmox);
  const operations = addOperations(hosts, storage, compute);
  return { lab, ...hosts, ...network, storage, k3s, compute, operations };
}
