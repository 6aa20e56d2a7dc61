/**
 * The cluster's part of the first deploy: the k3s server that initializes the cluster, then the
 * other servers, then the agents, each after its host's install; then the Kubernetes manifests.
 */
import { K3sCluster } from '../cluster/k3s-cluster';
import { K3sNode, K3sRole } from '../cluster/k3s-node';
import { Homelab } from '../core/homelab';
import { hostStepKey, PhasedRunbookStep, RunbookContribution, RunbookPhase, unique } from './runbook-step';

/** One step per k3s node and one for the manifests, per cluster. */
export function clusterRunbook(lab: Homelab): RunbookContribution {
  const steps: PhasedRunbookStep[] = [];
  const add = (step: PhasedRunbookStep['step']) => steps.push({ phase: RunbookPhase.CLUSTER, step });
  for (const cluster of K3sCluster.all(lab)) {
    const primary = cluster.primaryServer;
    const nodeKey = (n: K3sNode) => `k3s:${n.nodeName}`;
    for (const node of cluster.nodes) {
      const joins = node === primary ? [] : primary ? [nodeKey(primary)] : [];
      const servers = node.role === K3sRole.AGENT ? cluster.servers.map(nodeKey) : joins;
      add({
        key: nodeKey(node),
        title: node === primary ? `Start the k3s cluster on ${node.nodeName} (it initializes the cluster)` : `Join ${node.nodeName} to the cluster as ${node.role}`,
        manual: false,
        commands: [`# k3s starts with ${node.nodeName}'s configuration; on ${node.nodeName}:`, 'systemctl status k3s   # active (running)'],
        checks: [`sudo k3s kubectl get nodes   # on ${primary?.nodeName ?? node.nodeName}: ${node.nodeName} Ready`],
        after: unique([hostStepKey(node.host), ...servers.filter((k) => k !== nodeKey(node))]),
      });
    }
    if (cluster.nodes.length > 0) {
      add({
        key: `k8s:${cluster.node.id}`,
        title: 'Apply the Kubernetes manifests',
        manual: false,
        commands: [
          `scp root@${primary?.nodeIp}:${cluster.kubeconfigPath} ~/.kube/config && sed -i 's#https://127.0.0.1:6443#${cluster.apiServerUrl}#' ~/.kube/config`,
          'kubectl diff -f dist/k8s/',
          'kubectl apply -f dist/k8s/',
        ],
        checks: ['kubectl get pods -A   # every pod Running'],
        after: cluster.nodes.map(nodeKey),
      });
    }
  }
  return { steps };
}
