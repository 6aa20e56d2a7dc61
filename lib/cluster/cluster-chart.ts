// Types only: the model declares the chart; the Kubernetes projection (lib/k8s) builds it.
import type { App, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import type { Homelab } from '../core/homelab';
import { isHostName } from '../core/names';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { displayPath, problem } from '../core/validation';
import type { K3sCluster } from './k3s-cluster';
import { chartNameOwners, IKubernetesWorkload, KubernetesPatch, KubernetesPatches, markKubernetesWorkload, TargetedKubernetesPatch } from './kubernetes-workload';
import { Kind } from '../core/kind';

/** What a {@link ClusterChart}'s build function gets besides its chart. */
export interface ClusterChartContext {
  /** The lab's cdk8s App, with the charts built before this one. */
  readonly app: App;
  /** The lab. */
  readonly lab: Homelab;
  /** The cluster the chart belongs to. */
  readonly cluster: K3sCluster;
  /**
   * The chart built for a workload of the model (an `AdGuardHome`), for escape hatches on its
   * objects: `ApiObject.of(context.chartOf<AdGuardHomeChart>(adguard).deployment).addJsonPatch(...)`.
   */
  chartOf<T extends Chart = Chart>(workload: IConstruct): T;
}

/** Props of {@link ClusterChart}. */
export interface ClusterChartProps {
  /**
   * Builds the chart's objects with cdk8s / cdk8s-plus-28. Pin workloads to hosts with `onHost`.
   * The Kubernetes projection runs it when it checks the lab, before anything is written (and
   * `buildKubernetesApp` once more for each App it builds), so it must only build.
   */
  readonly build: (chart: Chart, context: ClusterChartContext) => void;
  /**
   * The chart's name: its file `dist/k8s/<name>.k8s.yaml` and the prefix of its objects' names.
   * @default - the construct id
   */
  readonly chartName?: string;
  /**
   * The namespace of its objects that do not name one.
   * @default - none (Kubernetes puts them in "default")
   */
  readonly namespace?: string;
}

const CLUSTER_CHART = Kind.named<ClusterChart>('ClusterChart');

/**
 * Your own Kubernetes objects in the lab's cluster: a cdk8s Chart of the lab's App, built by your
 * function beside the charts of the model's workloads, written to `dist/k8s/<name>.k8s.yaml` by
 * `homelab synth` and by `cdk8s synth`.
 *
 * ```ts
 * new ClusterChart(cluster, 'whoami', {
 *   build: (chart) => {
 *     const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] });
 *     onHost(web, k3sNode2);
 *   },
 * });
 * ```
 *
 * The construct only declares the chart. The Kubernetes projection builds it, and checks it
 * before anything is written: pinning to a host that is not a cluster node, an exception, or a
 * failed cdk8s validation is reported as an error of this construct.
 */
export class ClusterChart extends Construct implements IKubernetesWorkload {
  /** Is `x` a ClusterChart (of any copy of this library)? */
  public static isClusterChart(x: unknown): x is ClusterChart {
    return CLUSTER_CHART.is(x);
  }

  /** The cluster it belongs to. */
  public readonly cluster: K3sCluster;
  /** The chart's name. */
  public readonly chartName: string;
  /** The default namespace of its objects. */
  public readonly namespace?: string;
  /** The build function. */
  public readonly build: ClusterChartProps['build'];
  private readonly patches = new KubernetesPatches(this);

  public constructor(scope: K3sCluster, id: string, props: ClusterChartProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'ClusterChartProps', props);
    CLUSTER_CHART.mark(this);
    markKubernetesWorkload(this);
    this.cluster = scope;
    this.chartName = props.chartName ?? id;
    this.namespace = props.namespace;
    this.build = props.build;
    this.node.addValidation({ validate: () => this.validateChart() });
  }

  /** Patches added with {@link addKubernetesPatch}. */
  public get kubernetesPatches(): readonly TargetedKubernetesPatch[] {
    return this.patches.all;
  }

  /**
   * Escape hatch: a JSON patch on an object the build function made, applied after it ran
   * (`addKubernetesPatch('Deployment', { op: 'add', path: '/spec/paused', value: true })`).
   */
  public addKubernetesPatch(target: string, patch: KubernetesPatch): void {
    this.patches.add(target, patch);
  }

  private validateChart(): string[] {
    const errors: string[] = [];
    if (!isHostName(this.chartName)) {
      errors.push(problem(`chart name "${this.chartName}" is not a DNS label`, 'use lower-case letters, digits and "-" (it becomes a file name and a prefix of object names)'));
      return errors;
    }
    if (this.namespace !== undefined && !isHostName(this.namespace)) {
      errors.push(problem(`namespace "${this.namespace}" is not a Kubernetes namespace name`, 'use lower-case letters, digits and "-"'));
    }
    const owner = chartNameOwners(this, ClusterChart.isClusterChart).get(this.chartName);
    if (owner !== undefined && owner !== this) {
      errors.push(problem(`chart name ${this.chartName} is already the chart of ${displayPath(owner)}`, 'give the chart another name (chartName)'));
    }
    return errors;
  }
}
