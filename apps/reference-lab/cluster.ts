/** The reference lab's k3s cluster and AdGuard Home, the DNS filter behind the Pi's dnsmasq. */
import { AdGuardHome, DnsUpstream, Homelab, K3sCluster, K3sComponent, K3sNode, Secret } from '../../lib';
import { ReferenceHosts } from './hosts';

/** The cluster of the reference lab. */
export interface ReferenceCluster {
  readonly cluster: K3sCluster;
  /** k3s-node1 (server, cluster-init), k3s-node2, k3s-node3, pi-network (agents). */
  readonly k3sNodes: readonly [K3sNode, K3sNode, K3sNode, K3sNode];
  /** AdGuard Home on pi-network: the upstream of the Pi's dnsmasq (127.0.0.1, its dnsPort). */
  readonly adguard: AdGuardHome;
}

/** Adds the four-node cluster and AdGuard Home. */
export function addCluster(lab: Homelab, hosts: ReferenceHosts): ReferenceCluster {
  const cluster = new K3sCluster(lab, 'k3s', {
    // One token for every node, decrypted by sops-nix to /run/secrets/k3s-token.
    // `homelab secrets init` makes it and keeps it in secrets/k3s-token.yaml (sops-encrypted).
    token: Secret.fromSops({ name: 'k3s-token' }),
    version: '1.35',
    // The lab's facts name no ingress or LoadBalancer service: AdGuard Home is reached through a
    // hostPort. Traefik and ServiceLB stay off, which also keeps ServiceLB from taking host ports.
    disable: [K3sComponent.TRAEFIK, K3sComponent.SERVICELB],
  });
  const [node1, node2, node3] = hosts.k3sNodes;
  const k3sNodes = [
    cluster.addServer(node1),
    cluster.addAgent(node2),
    cluster.addAgent(node3),
    // The Pi is the ARM64 worker that hosts AdGuard Home (pinned by the Host below).
    cluster.addAgent(hosts.piNetwork, { labels: { 'homelab/role': 'network' } }),
  ] as const;

  const adguard = new AdGuardHome(cluster, 'adguard-home', {
    host: hosts.piNetwork,
    dnsPort: 5353,
    upstreams: [DnsUpstream.CLOUDFLARE, DnsUpstream.GOOGLE],
  });
  return { cluster, k3sNodes, adguard };
}
