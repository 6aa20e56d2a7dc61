/**
 * The workloads of the model that the Kubernetes projection makes charts of, like the Nix
 * projection's list of renderers: a workload of the library adds its line here, and nothing
 * else in the projection names it.
 */
import type { App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AdGuardHome } from '../cluster/adguard-home';
import { IKubernetesWorkload } from '../cluster/kubernetes-workload';
import { AdGuardHomeChart } from './adguard-home-chart';

/** How the projection makes the chart of one kind of the model's workloads. */
export interface WorkloadChart {
  /** Is the construct a workload of this kind? */
  matches(x: IConstruct): boolean;
  /** Builds the workload's chart in `app` (its construct id: the workload's chart name). */
  build(app: App, workload: IKubernetesWorkload): Chart;
}

/** A line of {@link KUBERNETES_WORKLOADS}: the kind's type test and its chart's constructor. */
export function workloadChart<T extends IKubernetesWorkload>(matches: (x: unknown) => x is T, build: (app: App, workload: T) => Chart): WorkloadChart {
  return { matches, build: (app, workload) => build(app, workload as T) };
}

/** Every kind of workload of the model that has a chart. */
export const KUBERNETES_WORKLOADS: readonly WorkloadChart[] = [
  workloadChart(AdGuardHome.isAdGuardHome, (app, adguard) => new AdGuardHomeChart(app, adguard)),
];
