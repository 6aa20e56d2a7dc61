/**
 * k3s on the cluster's hosts: `hosts/<host>/k3s.nix` with `services.k3s` from the K3sNode (role,
 * pinned package, token file, the primary server's address, node IP, labels, taints) and, for a
 * token kept with sops-nix, the sops-nix flake input and its `sops.secrets` entry.
 */
import { Homelab } from '../../../core/homelab';
import { K3sCluster } from '../../../cluster/k3s-cluster';
import { K3sNode, K3sRole } from '../../../cluster/k3s-node';
import { NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { sopsSecretsSettings, useSopsFor } from '../hosts/sops';

export { SOPS_NIX_INPUT } from '../hosts/sops';

/** Adds every cluster node's k3s module (and sops-nix where the token needs it). */
export function renderK3s(lab: Homelab, flake: NixFlake): void {
  for (const cluster of K3sCluster.all(lab)) {
    for (const node of cluster.nodes) {
      useSopsFor(flake, node.host, [{ secret: cluster.token, purpose: `the join token of the k3s cluster ${cluster.node.id}`, generated: true }]);
      flake.addHostModule(node.host, 'k3s', renderSettingsModule(lab, `${node.node.path} (k3s ${node.role})`, k3sSettings(node)));
    }
  }
}

/** The NixOS settings of one k3s node. */
export function k3sSettings(node: K3sNode): NixAttrs {
  const cluster = node.cluster;
  const isServer = node.role === K3sRole.SERVER;
  // A registration address (name or virtual IP) must be in the servers' certificate, or nodes
  // that join through it refuse the server's TLS.
  const tlsSan = cluster.registrationAddress !== undefined ? [`--tls-san=${cluster.registrationHost}`] : [];
  const serverFlags = isServer ? [`--cluster-cidr=${cluster.clusterCidr}`, `--service-cidr=${cluster.serviceCidr}`, ...tlsSan] : [];
  return {
    services: {
      k3s: {
        enable: true,
        package: NixExpr.select('pkgs', cluster.packageAttribute),
        role: node.role,
        tokenFile: cluster.token.hostPath,
        serverAddr: node.serverAddress,
        clusterInit: node.clusterInit ? true : undefined,
        nodeIP: node.nodeIp,
        nodeLabel: node.labelFlags.length ? node.labelFlags : undefined,
        nodeTaint: node.taintFlags.length ? node.taintFlags : undefined,
        // --disable is a server flag: an agent refuses it.
        disable: isServer && cluster.disabledComponents.length ? [...cluster.disabledComponents] : undefined,
        extraFlags: serverFlags.length + node.extraFlags.length ? [...serverFlags, ...node.extraFlags] : undefined,
      },
    },
    sops: sopsSecretsSettings([cluster.token]),
  };
}
