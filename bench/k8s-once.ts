/**
 * The Kubernetes projection of a lab with many workloads, in a fresh process: the generated lab of
 * ten VMs (a k3s cluster of three NixOS VMs and the Pi) with `--charts N` ClusterCharts, each a
 * small Deployment pinned with `onHost` to one of the cluster's nodes in turn. Times the first
 * `renderKubernetesManifests(lab)` of the process (what `homelab synth` pays), then a second one
 * (warm JIT). Prints one line of JSON.
 *
 *   node build/bench/k8s-once.js --charts 100
 */
import * as kplus from 'cdk8s-plus-28';
import { ClusterChart, K3sCluster, onHost, renderKubernetesManifests } from '../lib/internal';
import { buildGeneratedLab } from './generated-lab';
import { option, reportMeasurement } from './measurement';

/** What the benchmark reads from this process. */
export interface K8sOnceResult {
  readonly charts: number;
  /** Manifest files rendered (the charts and AdGuard Home's). */
  readonly files: number;
  readonly bytes: number;
  /** Building the lab with its charts (ms). */
  readonly buildMs: number;
  /** The first renderKubernetesManifests of the process (ms). */
  readonly firstMs: number;
  /** A second one in the same process (ms). */
  readonly secondMs: number;
  /** Peak resident memory of the process, in MiB. */
  readonly maxRssMiB: number;
}

function main(argv: readonly string[]): K8sOnceResult {
  const charts = Number(option(argv, '--charts') ?? 100);
  if (!Number.isInteger(charts) || charts < 1) {
    throw new Error(`--charts takes a positive whole number, not ${option(argv, '--charts')}`);
  }
  const t0 = performance.now();
  const { lab } = buildGeneratedLab(10);
  const cluster = K3sCluster.all(lab)[0];
  const hosts = cluster.nodes.map((n) => n.host);
  for (let i = 0; i < charts; i++) {
    const host = hosts[i % hosts.length];
    new ClusterChart(cluster, `app-${String(i + 1).padStart(4, '0')}`, {
      build: (chart) => {
        const web = new kplus.Deployment(chart, 'web', {
          replicas: 1,
          containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80, securityContext: { ensureNonRoot: false } }],
        });
        onHost(web, host);
      },
    });
  }
  const t1 = performance.now();
  const files = renderKubernetesManifests(lab);
  const t2 = performance.now();
  renderKubernetesManifests(lab);
  const t3 = performance.now();
  return {
    charts,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0),
    buildMs: t1 - t0,
    firstMs: t2 - t1,
    secondMs: t3 - t2,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (require.main === module) {
  reportMeasurement(main);
}
