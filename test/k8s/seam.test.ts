/**
 * The seam between the model and the Kubernetes projection: the model declares (ClusterChart,
 * addKubernetesPatch), the projection builds, applies and checks; synthesis runs the
 * projection's checks before anything is written; the manifests are rendered in one pass over
 * the App, byte for byte what cdk8s's own `Chart.toJson()` and `app.synth()` give.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiObject, App, Chart, Names, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import {
  AdGuardHome,
  buildKubernetesApp,
  ClusterChart,
  isKubernetesWorkload,
  K3sCluster,
  manifestFiles,
  onHost,
  renderKubernetesManifests,
  renderLab,
  synthesize,
  validateForSynthesis,
  validateLab,
  ValidationError,
} from '../../lib/internal';
import { buildGeneratedLab } from '../../bench/generated-lab';
import { buildReferenceLab } from '../../apps/reference-lab';
import { clusterLab, errorsOf } from '../support/cluster';
import { KubeObject, kubernetesProblems, only, parseManifest } from '../support/k8s';
import { tempDir } from '../support/labs';
import { countVisits } from '../support/tree-visits';

function adguardLab() {
  const { lab, cluster, server, pi } = clusterLab();
  cluster.addServer(server);
  cluster.addAgent(pi);
  const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi });
  return { lab, cluster, server, pi, adguard };
}

function objectsOf(file: string, files: readonly { path: string; content: string }[]): KubeObject[] {
  const found = files.find((f) => f.path === file);
  if (!found) {
    throw new Error(`no ${file} among ${files.map((f) => f.path).join(', ')}`);
  }
  return parseManifest(found.content);
}

describe('ClusterChart on the model side', () => {
  it("declares only: the model's validation does not run its build function, the projection's check does, once", () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    let builds = 0;
    new ClusterChart(cluster, 'whoami', {
      build: (chart) => {
        builds++;
        onHost(new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }), server);
      },
    });
    expect(validateLab(lab).errors).toEqual([]);
    expect(builds).toBe(0);
    // Synthesis checks the chart and renders the App that the check built: one build in all.
    const rendered = renderLab(lab, { only: ['k8s'] });
    expect(rendered.files.map((f) => f.path)).toEqual(['k8s/whoami.k8s.yaml']);
    expect(builds).toBe(1);
  });

  it('is a workload of the Kubernetes projection, as AdGuardHome is, each with its chart name', () => {
    const { cluster, adguard } = adguardLab();
    const chart = new ClusterChart(cluster, 'mine', { chartName: 'my-apps', build: () => undefined });
    expect([isKubernetesWorkload(adguard), isKubernetesWorkload(chart), isKubernetesWorkload(cluster)]).toEqual([true, true, false]);
    expect([adguard.chartName, chart.chartName]).toEqual(['adguard-home', 'my-apps']);
  });

  it("writes nothing when the projection's check finds a problem, and names the construct and the fix", () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    new ClusterChart(cluster, 'whoami', {
      build: (chart) => void onHost(new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }), pi),
    });
    const out = path.join(tempDir(), 'dist');
    let error: unknown;
    try {
      synthesize(lab, { outdir: out });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).report.errors.map((f) => `${f.path}: ${f.message}`)).toEqual([
      'testlab/k3s/whoami: whoami/web is pinned to testlab/pi, which is not a node of a k3s cluster. Fix: pin it to a host that runs a K3sNode, or add pi to the cluster (cluster.addAgent(host)).',
    ]);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('runs only the checks of the projections that run: --only nix does not build the charts', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    new ClusterChart(cluster, 'broken', {
      build: () => {
        throw new Error('no image given');
      },
    });
    expect(validateForSynthesis(lab, { only: ['nix'] }).errors).toEqual([]);
    expect(validateForSynthesis(lab, { only: ['k8s'] }).errors.map((f) => f.message)).toEqual([
      'its build function threw "no image given". Fix: correct the build function (the error comes from it or from cdk8s).',
    ]);
  });
});

describe('addKubernetesPatch, the escape hatch recorded on the model', () => {
  it("patches a generated object by kind, applied by the projection (cdk8s's addJsonPatch)", () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('Deployment', { op: 'add', path: '/spec/template/spec/priorityClassName', value: 'system-cluster-critical' });
    adguard.addKubernetesPatch('Deployment', { op: 'replace', path: '/spec/revisionHistoryLimit', value: 3 });
    expect(errorsOf(lab)).toEqual([]);
    const objects = objectsOf('adguard-home.k8s.yaml', renderKubernetesManifests(lab));
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.template.spec.priorityClassName).toBe('system-cluster-critical');
    expect(deployment.spec.revisionHistoryLimit).toBe(3);
    expect(objects.flatMap(kubernetesProblems)).toEqual([]);
  });

  it('targets one object of a kind by kind/name, and leaves the others', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('PersistentVolumeClaim/adguard-home-work', { op: 'replace', path: '/spec/storageClassName', value: 'zfs-fast' });
    const claims = objectsOf('adguard-home.k8s.yaml', renderKubernetesManifests(lab)).filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => [c.metadata.name, c.spec.storageClassName])).toEqual([
      ['adguard-home-conf', 'local-path'],
      ['adguard-home-work', 'zfs-fast'],
    ]);
  });

  it('applies the patches of a ClusterChart after its build function', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    const chart = new ClusterChart(cluster, 'whoami', {
      build: (c) => void onHost(new kplus.Deployment(c, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }), server),
    });
    chart.addKubernetesPatch('Deployment', { op: 'add', path: '/spec/paused', value: true });
    expect(errorsOf(lab)).toEqual([]);
    expect(only(objectsOf('whoami.k8s.yaml', renderKubernetesManifests(lab)), 'Deployment').spec.paused).toBe(true);
  });

  it('refuses a target that names no object of the chart, listing the objects it has', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('StatefulSet', { op: 'add', path: '/spec/replicas', value: 2 });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch target StatefulSet names no object of its chart (Namespace/adguard-home, ConfigMap/adguard-home-initial-config, PersistentVolumeClaim/adguard-home-conf, PersistentVolumeClaim/adguard-home-work, Deployment/adguard-home, Service/adguard-home-web). Fix: name one of the objects, by kind or kind/name.',
    ]);
  });

  it('refuses a patch that cdk8s cannot apply, on the workload, before anything is written', () => {
    const { lab, adguard } = adguardLab();
    // The web Service is a ClusterIP: the test operation fails when cdk8s applies it.
    adguard.addKubernetesPatch('Service', { op: 'test', path: '/spec/type', value: 'LoadBalancer' });
    const errors = errorsOf(lab);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^testlab\/k3s\/adguard-home: cdk8s could not render its chart: .+\. Fix: correct the objects or the patches \(addKubernetesPatch\) that the message names\.$/);
  });

  it('refuses a target that is not a kind or kind/name', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('deployment', { op: 'add', path: '/spec/paused', value: true });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch target "deployment" is not a kind or kind/name. Fix: name the object like "Deployment" or "Service/adguard-home-web".',
    ]);
  });

  it('refuses an operation that JSON patch does not have', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('Deployment', { op: 'merge' as never, path: '/spec' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch of Deployment has the operation "merge". Fix: use one of add, remove, replace, copy, move, test (RFC 6902).',
    ]);
  });

  it('refuses a path that is not a JSON pointer', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('Deployment', { op: 'remove', path: 'spec.paused' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch of Deployment has the path "spec.paused", which is not a JSON pointer. Fix: write it like "/spec/template/spec/priorityClassName" (RFC 6901).',
    ]);
  });

  it('refuses a copy without the pointer it reads from', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('Deployment', { op: 'copy', path: '/metadata/annotations' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch of Deployment has the from "undefined", which is not a JSON pointer. Fix: write it like "/spec/template/spec/priorityClassName" (RFC 6901).',
    ]);
  });

  it('refuses an add without a value', () => {
    const { lab, adguard } = adguardLab();
    adguard.addKubernetesPatch('Deployment', { op: 'add', path: '/spec/paused' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: the Kubernetes patch of Deployment (add /spec/paused) has no value. Fix: give the value the add operation writes.',
    ]);
  });
});

/**
 * What cdk8s 2.70 itself renders, in memory: `Chart.toJson()` per chart (each resolves the whole
 * App), the charts in the App's order after that, named as `app.synth()` names their files.
 */
function cdk8sOwnRendering(app: App): { path: string; content: string }[] {
  const objects = new Map(app.charts.map((chart) => [chart, chart.toJson()]));
  const charts = app.charts;
  const dependent = charts.some((chart) => chart.node.dependencies.some((d) => Chart.isChart(d)));
  return charts.map((chart, i) => ({ path: `${dependent ? `${String(i).padStart(4, '0')}-` : ''}${Names.toDnsLabel(chart)}.k8s.yaml`, content: Yaml.stringify(...objects.get(chart)!) }));
}

/** A lab with charts that depend on each other (indexed file names) and a nested chart. */
function entangledLab() {
  const { lab, cluster, server, pi } = clusterLab();
  cluster.addServer(server);
  cluster.addAgent(pi);
  const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi });
  adguard.addKubernetesPatch('Deployment', { op: 'add', path: '/spec/minReadySeconds', value: 5 });
  new ClusterChart(cluster, 'backend', {
    namespace: 'apps',
    build: (chart, context) => {
      const db = new kplus.StatefulSet(chart, 'db', { containers: [{ image: 'postgres:16.4', portNumber: 5432, securityContext: { ensureNonRoot: false } }] });
      onHost(db, server);
      // An object of this chart after an object of the model's chart: the charts depend on each other.
      ApiObject.of(db).addDependency(ApiObject.of(context.chartOf<Chart>(adguard).node.findChild('web')));
    },
  });
  new ClusterChart(cluster, 'parent', {
    build: (chart) => {
      new kplus.ConfigMap(chart, 'own', { data: { level: 'info' } });
      const nested = new Chart(chart, 'nested');
      new kplus.ConfigMap(nested, 'settings', { data: { level: 'debug' } });
    },
  });
  for (let i = 0; i < 5; i++) {
    new ClusterChart(cluster, `app-${i}`, {
      build: (chart) => void onHost(new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }), i % 2 ? pi : server),
    });
  }
  return lab;
}

describe('the manifests, rendered in one pass over the App', () => {
  it("are byte for byte what cdk8s's Chart.toJson() gives, for the reference lab and a lab whose charts depend on each other", () => {
    for (const lab of [buildReferenceLab().lab, entangledLab(), buildGeneratedLab(10).lab]) {
      const ours = manifestFiles(buildKubernetesApp(lab));
      expect(ours).toEqual(cdk8sOwnRendering(buildKubernetesApp(lab)));
      // homelab synth renders the App that its check built: the same bytes again.
      expect(renderKubernetesManifests(lab)).toEqual(ours);
    }
    // Indexed names, because the charts depend on each other; a nested chart before its parent.
    expect(manifestFiles(buildKubernetesApp(entangledLab())).map((f) => f.path)).toEqual([
      '0000-adguard-home.k8s.yaml', '0001-backend.k8s.yaml', '0002-parent-nested-c835d7e2.k8s.yaml', '0003-parent.k8s.yaml',
      '0004-app-0.k8s.yaml', '0005-app-1.k8s.yaml', '0006-app-2.k8s.yaml', '0007-app-3.k8s.yaml', '0008-app-4.k8s.yaml',
    ]);
  });

  it("are the files cdk8s's app.synth() writes", () => {
    const lab = entangledLab();
    const outdir = tempDir();
    buildKubernetesApp(lab, { outdir }).synth();
    const written = fs.readdirSync(outdir).sort().map((name) => ({ path: name, content: fs.readFileSync(path.join(outdir, name), 'utf8') }));
    expect([...renderKubernetesManifests(lab)].sort((a, b) => (a.path < b.path ? -1 : 1))).toEqual(written);
  });

  it('visit the tree about as often per workload with 80 workloads as with 20 (no whole-App resolve, no tree walk per workload)', () => {
    const perWorkload = (n: number): number => {
      const { lab } = buildGeneratedLab(10);
      const cluster = K3sCluster.all(lab)[0];
      const hosts = cluster.nodes.map((x) => x.host);
      for (let i = 0; i < n; i++) {
        new ClusterChart(cluster, `app-${i}`, {
          build: (chart) => void onHost(new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }), hosts[i % hosts.length]),
        });
      }
      return countVisits(() => renderLab(lab, { only: ['k8s'] })) / n;
    };
    const [small, large] = [perWorkload(20), perWorkload(80)];
    // Quadratic rendering visited the whole App per chart: 4 times as much per workload at 80.
    expect(large / small).toBeLessThan(1.3);
  });
});
