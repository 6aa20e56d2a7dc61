/**
 * The Kubernetes projection (`homelab-cdk/kubernetes`): the app `cdk8s synth` runs, and
 * {@link onHost}, which pins a cdk8s-plus workload of a `ClusterChart` to a host of the lab.
 * Importing it loads cdk8s and cdk8s-plus-28.
 *
 * ```ts
 * import { synthKubernetesApp } from 'homelab-cdk/kubernetes';
 * synthKubernetesApp(buildLab());
 * ```
 *
 * @module homelab-cdk/kubernetes
 */
export { buildKubernetesApp, renderKubernetesManifests, synthKubernetesApp, validateKubernetes } from './k8s/kubernetes-app';
export type { KubernetesAppOptions } from './k8s/kubernetes-app';
export { onHost } from './k8s/on-host';
export type { ILabeledNode, IPodScheduling, ISchedulable, ITaintedNode } from './k8s/on-host';
