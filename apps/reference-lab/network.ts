/** The reference lab's network anchor: dnsmasq on pi-network, and waking maxdata from it. */
import { Dnsmasq, DnsUpstream, IDnsUpstream, ProxmoxHost, ReachabilityCheck, WakeOnLan } from '../../lib';
import { ReferenceHosts } from './hosts';

/** The network services of the reference lab. */
export interface ReferenceNetwork {
  readonly dnsmasq: Dnsmasq;
  readonly wakeProxmox: WakeOnLan;
}

/**
 * Adds dnsmasq (DHCP, DNS) and the Wake-on-LAN of maxdata to pi-network.
 * @param adguard the DNS filter dnsmasq forwards to first (AdGuard Home in the cluster)
 * @param proxmox maxdata's Proxmox role, whose web UI answering means the host is up
 */
export function addNetwork(hosts: ReferenceHosts, adguard: IDnsUpstream, proxmox: ProxmoxHost): ReferenceNetwork {
  const dnsmasq = new Dnsmasq(hosts.piNetwork, 'dnsmasq', {
    // The DNS chain: AdGuard Home first, the public resolvers only when it fails (at boot,
    // before the cluster has started AdGuard). The leases (all five hosts), the range, the
    // router and the local domain come from the hosts and the network.
    // AdGuard Home's address and port come from its construct (127.0.0.1 and its hostPort).
    upstreams: [adguard, DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE],
  });

  const wakeProxmox = new WakeOnLan(hosts.piNetwork, 'wake-proxmox', {
    target: hosts.maxdata,
    // The Proxmox web UI answering means the hypervisor is ready, not just booting.
    check: ReachabilityCheck.tcpPort(proxmox.webUiPort),
  });

  return { dnsmasq, wakeProxmox };
}
