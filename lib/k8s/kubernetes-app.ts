/**
 * The Kubernetes projection: the lab's cluster as a cdk8s App, one chart per workload of the model
 * (see {@link KUBERNETES_WORKLOADS}) and per {@link ClusterChart}, rendered to `<chart>.k8s.yaml`
 * files exactly as `cdk8s synth` writes them (so both commands give the same `dist/k8s/`).
 */
import { ApiObject, App, Chart, DependencyGraph, JsonPatch, Names, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ClusterChart, ClusterChartContext } from '../cluster/cluster-chart';
import { K3sCluster } from '../cluster/k3s-cluster';
import { chartNameOwners, IKubernetesWorkload, KubernetesPatch, TargetedKubernetesPatch } from '../cluster/kubernetes-workload';
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { byText } from '../core/order';
import { ConstructProblem, perValidationRun, problem, validateLab, ValidationError, withProblems, withSharedIndexes } from '../core/validation';
import { workloadLabels } from './adguard-home-chart';
import { addNamespace, applyNamespaceFirst, hasNamespaceObject } from './namespace';
import { PINNING_ERROR } from './on-host';
import { provideProjectionRenderer } from '../core/projection';
import { KUBERNETES_WORKLOADS, WorkloadChart } from './workloads';

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
 * {@link ClusterChart} (in declaration order), with the patches of `addKubernetesPatch` applied.
 * For programs that want the App itself; `homelab synth` renders it with
 * {@link renderKubernetesManifests}. Throws on a problem that {@link validateKubernetes} reports.
 */
export function buildKubernetesApp(lab: Homelab, options: KubernetesAppOptions = {}): App {
  const app = new App({ outdir: options.outdir ?? process.env.CDK8S_OUTDIR ?? 'dist/k8s' });
  // Building reads the model without changing it: one index of nodes, owners… for all charts.
  withSharedIndexes(lab, () => buildCharts(app, lab, undefined));
  return app;
}

/**
 * The projection: every chart as `<chart name>.k8s.yaml`, in memory. No cluster, no files. In a
 * synthesis, the App that {@link validateKubernetes} built and rendered is reused.
 */
export function renderKubernetesManifests(lab: Homelab): OutputFile[] {
  return withSharedIndexes(lab, () => {
    if (K3sCluster.all(lab).length === 0) {
      return [];
    }
    const checked = checkedManifests(lab);
    return checked.files ? [...checked.files] : manifestFiles(buildKubernetesApp(lab));
  });
}

/**
 * The problems only the Kubernetes projection can see, each on the construct it belongs to: a
 * ClusterChart's build function that throws or pins to a host that is not a cluster node,
 * objects cdk8s rejects, a patch of `addKubernetesPatch` that names no object of its chart or
 * that cannot be applied. Builds and renders the App in memory (once a synthesis: rendering
 * reuses it).
 */
export function validateKubernetes(lab: Homelab): ConstructProblem[] {
  return [...checkedManifests(lab).problems];
}

/**
 * The entry point of `cdk8s synth` (see `cdk8s.yaml`): validates the lab (the model and this
 * projection), then lets cdk8s write the App into its output folder. Throws a
 * {@link ValidationError} with every error of the lab.
 */
export function synthKubernetesApp(lab: Homelab, options: KubernetesAppOptions = {}): App {
  // Validation and the build share the per-run indexes, as in homelab synth.
  return withSharedIndexes(lab, () => {
    const report = withProblems(validateLab(lab), validateKubernetes(lab));
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
  const rendered = renderCharts(app, (_chart, render) => render());
  return namedManifests(app, rendered.map(({ chart, objects }) => ({ chart, objects: objects! })));
}

/** A chart and its objects as JSON, in the order cdk8s writes them. */
interface RenderedChart {
  readonly chart: Chart;
  readonly objects?: readonly unknown[];
}

function namedManifests(app: App, rendered: readonly RenderedChart[]): OutputFile[] {
  // After rendering, every dependency between charts is explicit (as app.synth resolves them).
  const dependent = app.charts.some((chart) => chart.node.dependencies.some((d) => Chart.isChart(d)));
  return rendered.map(({ chart, objects }, i) => {
    const name = Names.toDnsLabel(chart);
    return { path: `${dependent ? `${String(i).padStart(4, '0')}-` : ''}${name}${MANIFEST_SUFFIX}`, content: Yaml.stringify(...objects!) };
  });
}

/**
 * Every chart's objects, as `chart.toJson()` gives them, with the App prepared once.
 * `Chart.toJson()` resolves the dependencies of the whole App and validates all of it for each
 * chart (cdk8s 2.70 `App._synthChart`), which made N charts cost N whole Apps; here the two steps
 * run once, then each chart is turned into JSON alone (cdk8s's `chartToKube`). A chart class
 * with its own `toJson` keeps it. `renderOne` lets the caller catch a chart's failure.
 */
function renderCharts(app: App, renderOne: (chart: Chart, render: () => readonly unknown[]) => readonly unknown[] | undefined): RenderedChart[] {
  const subtrees = new Map<IConstruct, IConstruct[]>();
  const findAll = (c: IConstruct): IConstruct[] => {
    let all = subtrees.get(c);
    if (!all) {
      all = c.node.findAll();
      subtrees.set(c, all);
    }
    return all;
  };
  resolveDependencies(app, findAll);
  validateApp(app, findAll);
  // In the order of the App's graph with the dependencies resolved, as app.synth() writes them
  // (a nested chart before its parent).
  const charts = app.charts;
  return charts.map((chart) => ({
    chart,
    objects: renderOne(chart, () => (chart.toJson === Chart.prototype.toJson ? chartObjects(chart) : chart.toJson())),
  }));
}

/** cdk8s 2.70's `resolveDependencies` (app.js): implicit dependencies made explicit, charts and objects. */
function resolveDependencies(app: App, findAll: (c: IConstruct) => IConstruct[]): void {
  for (const parent of findAll(app).filter(Chart.isChart)) {
    for (const child of parent.node.children.filter(Chart.isChart)) {
      parent.node.addDependency(child);
    }
  }
  const dependencies = findAll(app).flatMap((source) => source.node.dependencies.map((target) => ({ source, target })));
  for (const { source, target } of dependencies) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    if (sourceChart !== targetChart) {
      sourceChart.node.addDependency(targetChart);
    }
  }
  // cdk8s lists the dependencies afresh here, chart dependencies added above included.
  for (const { source, target } of findAll(app).flatMap((s) => s.node.dependencies.map((t) => ({ source: s, target: t })))) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    const targets = findAll(target).filter((c) => c instanceof ApiObject && Chart.of(c) === targetChart);
    const sources = findAll(source).filter((c) => c instanceof ApiObject && Chart.of(c) === sourceChart);
    for (const t of targets) {
      for (const s of sources) {
        if (t !== s) {
          s.node.addDependency(t);
        }
      }
    }
  }
}

/** cdk8s 2.70's `validate` (app.js): every construct's validations; all failures in one error. */
function validateApp(app: App, findAll: (c: IConstruct) => IConstruct[]): void {
  const errors = findAll(app).flatMap((c) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}

/** cdk8s 2.70's `chartToKube` (app.js): the chart's own objects in dependency order, as JSON. */
function chartObjects(chart: Chart): unknown[] {
  return new DependencyGraph(chart.node)
    .topology()
    .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart)
    .map((o) => o.toJson());
}

/** The lab's manifests and the projection's problems, built and rendered once a run. */
interface CheckedManifests {
  /** The files, when the App was built and rendered without a problem. */
  readonly files?: readonly OutputFile[];
  readonly problems: readonly ConstructProblem[];
}

/** The key of {@link checkedManifests}'s value, one per validation run. */
const CHECKED_MANIFESTS = {};

function checkedManifests(lab: Homelab): CheckedManifests {
  return perValidationRun(lab, CHECKED_MANIFESTS, () => {
    if (K3sCluster.all(lab).length === 0) {
      return { files: [], problems: [] };
    }
    const problems: ConstructProblem[] = [];
    const app = new App({ outdir: 'unused' });
    const { owners, complete } = buildCharts(app, lab, problems);
    if (problems.length > 0 || !complete) {
      return { problems };
    }
    let rendered: RenderedChart[];
    try {
      rendered = renderCharts(app, (chart, render) => {
        try {
          return render();
        } catch (e) {
          problems.push(renderProblem(owners.get(chart) ?? lab, e));
          return undefined;
        }
      });
    } catch (e) {
      // cdk8s's validation of the whole App, after its dependencies are resolved; each chart
      // passed it alone already, on its workload.
      return { problems: [renderProblem(lab, e)] };
    }
    return problems.length > 0 ? { problems } : { files: namedManifests(app, rendered), problems };
  });
}

function renderProblem(owner: IConstruct, e: unknown): ConstructProblem {
  const message = (e as Error)?.message ?? String(e);
  return { construct: owner, message: problem(`cdk8s could not render its chart: ${message}`, 'correct the objects or the patches (addKubernetesPatch) that the message names') };
}

/** What {@link buildCharts} built. */
interface BuiltCharts {
  /** The workload or ClusterChart of each chart. */
  readonly owners: Map<Chart, IKubernetesWorkload>;
  /** False when a chart of the model could not be built (the App is then not rendered). */
  readonly complete: boolean;
}

/** The model's workloads that have a chart, sorted by construct path, each with its line of the table. */
function modelWorkloads(lab: Homelab): Array<{ workload: IKubernetesWorkload; kind: WorkloadChart }> {
  const found: Array<{ workload: IKubernetesWorkload; kind: WorkloadChart }> = [];
  for (const c of lab.node.findAll()) {
    const kind = KUBERNETES_WORKLOADS.find((k) => k.matches(c));
    if (kind) {
      found.push({ workload: c as IKubernetesWorkload, kind });
    }
  }
  return found.sort(byText((x) => x.workload.node.path));
}

function clusterChartsOf(lab: Homelab): ClusterChart[] {
  return lab.node.findAll().filter(ClusterChart.isClusterChart);
}

/**
 * Builds every chart into `app` and returns the workload of each chart. Without `problems` it
 * throws at the first one; with it, it collects each problem on its construct and goes on (the
 * model's own charts fail only where the model's validation reports an error already, so their
 * exceptions are not repeated).
 */
function buildCharts(app: App, lab: Homelab, problems: ConstructProblem[] | undefined): BuiltCharts {
  const owners = new Map<Chart, IKubernetesWorkload>();
  let complete = true;
  const charts = new Map<IConstruct, Chart>();
  const report = (construct: IConstruct, message: string): void => {
    if (!problems) {
      throw new Error(message);
    }
    problems.push({ construct, message });
  };
  const patch = (workload: IKubernetesWorkload, chart: Chart): void => {
    const unmatched = applyPatches(chart, workload.kubernetesPatches);
    if (unmatched.length > 0) {
      report(workload, problem(`the Kubernetes patch target ${unmatched.join(', ')} names no object of its chart (${objectNames(chart).join(', ') || 'it has none'})`, 'name one of the objects, by kind or kind/name'));
    }
  };
  for (const { workload, kind } of modelWorkloads(lab)) {
    let chart: Chart;
    try {
      chart = kind.build(app, workload);
    } catch (e) {
      if (!problems) {
        throw e;
      }
      // Left half-built in the scratch App, which is then not rendered; the model's validation
      // reports why.
      complete = false;
      continue;
    }
    charts.set(workload, chart);
    owners.set(chart, workload);
    patch(workload, chart);
    if (problems) {
      problems.push(...cdk8sFailures(chart).map((message) => ({ construct: workload, message })));
    }
  }
  const names = chartNameOwners(lab, ClusterChart.isClusterChart);
  for (const clusterChart of clusterChartsOf(lab)) {
    if (problems && names.get(clusterChart.chartName) !== clusterChart) {
      // Its name is another chart's: the ClusterChart's own validation says so.
      continue;
    }
    try {
      const chart = buildClusterChart(app, lab, clusterChart, charts);
      owners.set(chart, clusterChart);
      patch(clusterChart, chart);
      if (problems) {
        problems.push(...cdk8sFailures(chart).map((message) => ({ construct: clusterChart, message })));
      }
    } catch (e) {
      const error = e as Error;
      if (!problems) {
        throw e;
      }
      problems.push({
        construct: clusterChart,
        message: error?.name === PINNING_ERROR ? error.message : problem(`its build function threw "${error?.message ?? String(e)}"`, 'correct the build function (the error comes from it or from cdk8s)'),
      });
    }
  }
  return { owners, complete };
}

/** cdk8s's validation of the chart's constructs, as one problem. */
function cdk8sFailures(chart: Chart): string[] {
  const failures = chart.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
  return failures.length > 0 ? [problem(`cdk8s rejects its objects: ${failures.join('; ')}`, 'correct the objects the build function makes')] : [];
}

/** Applies each patch to the chart's objects it targets; returns the targets that match none. */
function applyPatches(chart: Chart, patches: readonly TargetedKubernetesPatch[]): string[] {
  if (patches.length === 0) {
    return [];
  }
  const objects = chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart);
  const unmatched: string[] = [];
  for (const { target, patch } of patches) {
    const [kind, name] = target.split('/');
    const matching = objects.filter((o) => o.kind === kind && (name === undefined || o.name === name));
    if (matching.length === 0) {
      unmatched.push(target);
    }
    for (const object of matching) {
      object.addJsonPatch(jsonPatch(patch));
    }
  }
  return unmatched;
}

function jsonPatch(patch: KubernetesPatch): JsonPatch {
  switch (patch.op) {
    case 'add':
      return JsonPatch.add(patch.path, patch.value);
    case 'remove':
      return JsonPatch.remove(patch.path);
    case 'replace':
      return JsonPatch.replace(patch.path, patch.value);
    case 'copy':
      return JsonPatch.copy(patch.from!, patch.path);
    case 'move':
      return JsonPatch.move(patch.from!, patch.path);
    case 'test':
      return JsonPatch.test(patch.path, patch.value);
  }
}

function objectNames(chart: Chart): string[] {
  return chart.node
    .findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === chart)
    .map((o) => `${o.kind}/${o.name}`);
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
provideProjectionRenderer('k8s', renderKubernetesManifests, validateKubernetes);
