/**
 * k3s on the cluster's hosts: `hosts/<host>/k3s.nix` with `services.k3s` from the K3sNode (role,
 * pinned package, token file, the primary server's address, node IP, labels, taints) and, for a
 * token kept with sops-nix, the sops-nix flake input and its `sops.secrets` entry.
 */
import { Homelab } from '../../core/homelab';
import { Secret, SecretSource } from '../../core/secret';
import { K3sCluster } from '../../cluster/k3s-cluster';
import { K3sNode, K3sRole } from '../../cluster/k3s-node';
import { NixFlake, renderSettingsModule } from '../nix-flake';
import { NixAttrs, NixExpr } from '../nix-value';

/** The sops-nix flake input. */
export const SOPS_NIX_INPUT = { name: 'sops-nix', url: 'github:Mic92/sops-nix' };

/** Adds every cluster node's k3s module (and sops-nix where the token needs it). */
export function renderK3s(lab: Homelab, flake: NixFlake): void {
  for (const cluster of K3sCluster.all(lab)) {
    for (const node of cluster.nodes) {
      const token = cluster.token;
      if (token.source === SecretSource.SOPS) {
        flake.addInput(SOPS_NIX_INPUT);
        flake.addHostFlakeModule(node.host, SOPS_NIX_INPUT.name, 'sops');
      }
      flake.addHostModule(node.host, 'k3s', renderSettingsModule(lab, `${node.node.path} (k3s ${node.role})`, k3sSettings(node)));
    }
  }
}

/** The NixOS settings of one k3s node. */
export function k3sSettings(node: K3sNode): NixAttrs {
  const cluster = node.cluster;
  const isServer = node.role === K3sRole.SERVER;
  const serverFlags = isServer ? [`--cluster-cidr=${cluster.clusterCidr}`, `--service-cidr=${cluster.serviceCidr}`] : [];
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
    sops: sopsSecret(cluster.token),
  };
}

/** The `sops.secrets.<name>` entry that decrypts a sops token on the host. */
function sopsSecret(token: Secret): NixAttrs | undefined {
  if (token.source !== SecretSource.SOPS || !token.sops) {
    return undefined;
  }
  return {
    secrets: {
      [token.reference]: {
        // hosts/<host>/k3s.nix → the flake root
        sopsFile: NixExpr.path(`../../${token.sops.sopsFile}`),
        owner: token.sops.owner,
        mode: token.sops.mode,
      },
    },
  };
}
