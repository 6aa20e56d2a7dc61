/**
 * The Kubernetes projection: the lab's cluster as a cdk8s App, one chart per workload of the model
 * (AdGuard Home) and per {@link ClusterChart}, rendered to `<chart>.k8s.yaml` files exactly as
 * `cdk8s synth` writes them (so both commands give the same `dist/k8s/`).
 */
import { App, Chart, Names, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AdGuardHome } from '../cluster/adguard-home';
import { K3sCluster } from '../cluster/k3s-cluster';
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { problem, validateLab, ValidationError, withSharedIndexes } from '../core/validation';
import { AdGuardHomeChart, workloadLabels } from './adguard-home-chart';
import { ClusterChart, ClusterChartContext } from './cluster-chart';
import { addNamespace, applyNamespaceFirst, hasNamespaceObject } from './namespace';
import { PINNING_ERROR } from './on-host';
import { byText } from '../core/order';
import { provideProjectionRenderer } from '../synth/projections';

/** The file name suffix of every manifest (cdk8s's default). */
export const MANIFEST_SUFFIX = '.k8s.yaml';

/** Options of {@link buildKubernetesApp}. */
export interface KubernetesAppOptions {
  /**
   * The folder `app.synth()` writes to.
   * @default - $CDK8S_OUTDIR (set by `cdk8s synth`), else "dist/k8s"
   */
  readonly outdir?: string;
}

/**
 * The lab's cdk8s App: the charts of the model's workloads (sorted by construct path), then each
 * {@link ClusterChart} (in declaration order). For programs that want the App itself; `homelab
 * synth` renders it with {@link renderKubernetesManifests}.
 */
export function buildKubernetesApp(lab: Homelab, options: KubernetesAppOptions = {}): App {
  const app = new App({ outdir: options.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist/k8s' });
  const charts = buildModelCharts(app, lab, false);
  for (const clusterChart of clusterChartsOf(lab)) {
    buildClusterChart(app, lab, clusterChart, charts);
  }
  return app;
}

/** The projection: every chart as `<chart name>.k8s.yaml`, in memory. No cluster, no files. */
export function renderKubernetesManifests(lab: Homelab): OutputFile[] {
  if (K3sCluster.all(lab).length === 0) {
    return [];
  }
  return manifestFiles(buildKubernetesApp(lab));
}

/**
 * The entry point of `cdk8s synth` (see `cdk8s.yaml`): validates the lab, then lets cdk8s write
 * the App into its output folder. Throws a {@link ValidationError} with every error of the lab.
 */
export function synthKubernetesApp(lab: Homelab, options: KubernetesAppOptions = {}): App {
  // Validation and the build share the per-run indexes, as in homelab synth.
  return withSharedIndexes(lab, () => {
    const report = validateLab(lab);
    if (report.errors.length > 0) {
      throw new ValidationError(report);
    }
    const app = buildKubernetesApp(lab, options);
    app.synth();
    return app;
  });
}

/**
 * The files `app.synth()` writes with its defaults (one file per chart, `.k8s.yaml`), rendered in
 * memory: the same names (indexed `0000-<chart>` when charts depend on each other) and the same
 * YAML.
 */
export function manifestFiles(app: App): OutputFile[] {
  const rendered = app.charts.map((chart) => ({ chart, objects: chart.toJson() }));
  // After toJson, every dependency between charts is explicit (as app.synth resolves them).
  const dependent = app.charts.some((chart) => chart.node.dependencies.some((d) => Chart.isChart(d)));
  return rendered.map(({ chart, objects }, i) => {
    const name = Names.toDnsLabel(chart);
    return { path: `${dependent ? `${String(i).padStart(4, '0')}-` : ''}${name}${MANIFEST_SUFFIX}`, content: Yaml.stringify(...objects) };
  });
}

/**
 * The owner of each chart name: the model workload or ClusterChart that claimed it first. For
 * the validation of chart names.
 */
export function chartOwners(lab: Homelab): Map<string, IConstruct> {
  const owners = new Map<string, IConstruct>();
  for (const [name, owner] of [
    ...modelWorkloads(lab).map((w) => [w.name, w] as const),
    ...clusterChartsOf(lab).map((c) => [c.chartName, c] as const),
  ]) {
    if (!owners.has(name)) {
      owners.set(name, owner);
    }
  }
  return owners;
}

/**
 * Builds every ClusterChart in a scratch App and returns the problems of each: pinning to a host
 * that is not a cluster node, an exception of the build function, cdk8s validation errors. The
 * model's own charts are built tolerantly (their problems are the model's validation errors).
 */
export function dryRunClusterCharts(lab: Homelab): Map<ClusterChart, string[]> {
  const problems = new Map<ClusterChart, string[]>();
  const app = new App({ outdir: 'unused' });
  const charts = buildModelCharts(app, lab, true);
  for (const clusterChart of clusterChartsOf(lab)) {
    try {
      const chart = buildClusterChart(app, lab, clusterChart, charts);
      const failures = chart.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
      if (failures.length > 0) {
        problems.set(clusterChart, [problem(`cdk8s rejects its objects: ${failures.join('; ')}`, 'correct the objects the build function makes')]);
      }
    } catch (e) {
      const error = e as Error;
      problems.set(clusterChart, [
        error?.name === PINNING_ERROR ? error.message : problem(`its build function threw "${error?.message ?? String(e)}"`, 'correct the build function (the error comes from it or from cdk8s)'),
      ]);
    }
  }
  return problems;
}

/** The model's workloads that have a chart, sorted by construct path. */
function modelWorkloads(lab: Homelab): AdGuardHome[] {
  return lab.node
    .findAll()
    .filter(AdGuardHome.isAdGuardHome)
    .sort(byText((x) => x.node.path));
}

function clusterChartsOf(lab: Homelab): ClusterChart[] {
  return lab.node.findAll().filter(ClusterChart.isClusterChart);
}

function buildModelCharts(app: App, lab: Homelab, tolerant: boolean): Map<IConstruct, Chart> {
  const charts = new Map<IConstruct, Chart>();
  for (const workload of modelWorkloads(lab)) {
    try {
      charts.set(workload, new AdGuardHomeChart(app, workload));
    } catch (e) {
      if (!tolerant) {
        throw e;
      }
    }
  }
  return charts;
}

function buildClusterChart(app: App, lab: Homelab, clusterChart: ClusterChart, charts: Map<IConstruct, Chart>): Chart {
  const chart = new Chart(app, clusterChart.chartName, { namespace: clusterChart.namespace, labels: workloadLabels(clusterChart.chartName) });
  const context: ClusterChartContext = {
    app,
    lab,
    cluster: clusterChart.cluster,
    chartOf: <T extends Chart = Chart>(workload: IConstruct): T => {
      const found = charts.get(workload);
      if (!found) {
        throw new Error(`${workload.node.path} has no chart (chartOf takes a workload of the model, such as an AdGuardHome)`);
      }
      return found as T;
    },
  };
  clusterChart.build(chart, context);
  // The chart's namespace exists before its objects, unless the build made its own object.
  const namespace = clusterChart.namespace;
  if (namespace !== undefined && !hasNamespaceObject(chart, namespace)) {
    const object = addNamespace(chart, namespace, 'homelab-cdk-namespace');
    if (object) {
      applyNamespaceFirst(chart, object);
    }
  }
  return chart;
}

// `homelab synth` loads this module when it first renders k8s (see lib/synth/projections.ts).
provideProjectionRenderer('k8s', renderKubernetesManifests);
