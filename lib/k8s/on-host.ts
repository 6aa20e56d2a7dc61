/**
 * Node pinning by Host construct: a workload names the host it runs on, never its node name, so a
 * host name is typed once (in the Host) and read everywhere.
 */
import * as kplus from 'cdk8s-plus-28';
import { K3sCluster } from '../cluster/k3s-cluster';
import type { K3sNode } from '../cluster/k3s-node';
import { displayPath, problem } from '../core/validation';
import type { Host } from '../hosts/host';

/**
 * Anything cdk8s-plus can schedule: a Pod, Deployment, StatefulSet, DaemonSet, Job… of any
 * cdk8s-plus version. The types are structural (not cdk8s-plus-28's classes, whose private
 * members would make a cdk8s-plus-33 Deployment a type error) so that a lab can write its
 * workloads with the cdk8s-plus that matches its k3s; `test/k8s/cdk8s-plus-versions.test.ts`
 * compiles and renders `onHost` with cdk8s-plus-28, 33 and 34.
 */
export interface ISchedulable {
  /** The workload's scheduling, where {@link onHost} adds the node affinity and the tolerations. */
  readonly scheduling: IPodScheduling;
}

/**
 * What {@link onHost} calls on a workload's scheduling (cdk8s-plus's `PodScheduling`, every
 * version since 22 has these two methods and reads only the selectors' `_toKube()` from their
 * arguments: cdk8s-plus `src/pod.ts`).
 */
export interface IPodScheduling {
  /** Adds a required node affinity on the node's labels. */
  attract(node: ILabeledNode): void;
  /** Adds tolerations of the node's taints. */
  tolerate(node: ITaintedNode): void;
}

/** A node selected by its labels, as cdk8s-plus's `Node.labeled()` makes it. */
export interface ILabeledNode {
  /** The label queries. */
  readonly labelSelector: readonly unknown[];
}

/** A node selected by its taints, as cdk8s-plus's `Node.tainted()` makes it. */
export interface ITaintedNode {
  /** The taint queries. */
  readonly taintSelector: readonly unknown[];
}

/** The name of errors thrown by {@link onHost}; their message is in the house format. */
export const PINNING_ERROR = 'HomelabPinningError';

/**
 * Pins a workload to the cluster node on `host`: a required node affinity on the node's
 * `kubernetes.io/hostname` label, and tolerations of the node's taints (a workload pinned to a
 * tainted node is meant to run there). Throws when the host is not a node of a k3s cluster of its
 * lab; `ClusterChart` reports that as a validation error of the chart.
 *
 * ```ts
 * const whoami = new kplus.Deployment(chart, 'whoami', { containers: [{ image: 'traefik/whoami:v1.10.1' }] });
 * onHost(whoami, k3sNode2);
 * ```
 */
export function onHost(workload: ISchedulable, host: Host): K3sNode {
  const node = K3sCluster.nodeOn(host);
  if (node === undefined) {
    const error = new Error(
      problem(
        `${(workload as unknown as { node?: { path?: string } }).node?.path ?? 'a workload'} is pinned to ${displayPath(host)}, which is not a node of a k3s cluster`,
        `pin it to a host that runs a K3sNode, or add ${host.hostName} to the cluster (cluster.addAgent(host))`,
      ),
    );
    error.name = PINNING_ERROR;
    throw error;
  }
  workload.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is('kubernetes.io/hostname', node.nodeName)));
  for (const taint of node.taints) {
    const options = { effect: taint.effect as unknown as kplus.TaintEffect };
    const query = taint.value === undefined ? kplus.NodeTaintQuery.exists(taint.key, options) : kplus.NodeTaintQuery.is(taint.key, taint.value, options);
    workload.scheduling.tolerate(kplus.Node.tainted(query));
  }
  return node;
}
