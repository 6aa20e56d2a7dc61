import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdGuardHome,
  AdGuardHomeChart,
  adGuardUpstream,
  buildKubernetesApp,
  ClusterChart,
  DnsUpstream,
  INITIAL_CONFIG_SCRIPT,
  manifestFiles,
  onHost,
  OutputFile,
  Protocol,
  renderKubernetesManifests,
  renderLab,
  TaintEffect,
} from '../../lib/internal';
import { buildReferenceLab, ReferenceLab } from '../../apps/reference-lab';
import { tempDir } from '../support/labs';
import { clusterLab, errorsOf } from '../support/cluster';
import { KubeObject, kubernetesProblems, only, parseManifest } from '../support/k8s';

let ref: ReferenceLab;
let files: OutputFile[];

beforeAll(() => {
  ref = buildReferenceLab();
  files = renderLab(ref.lab, { only: ['k8s'] }).files.map((f) => ({ ...f, path: f.path.replace(/^k8s\//, '') }));
});

function objectsOf(file: string, from: readonly OutputFile[] = files): KubeObject[] {
  const found = from.find((f) => f.path === file);
  if (!found) {
    throw new Error(`no ${file} among ${from.map((f) => f.path).join(', ')}`);
  }
  return parseManifest(found.content);
}

/** The pod template's spec of the AdGuard Home Deployment. */
function adguardPod(objects: KubeObject[]): any {
  return only(objects, 'Deployment').spec.template.spec;
}

describe("the reference lab's Kubernetes manifests", () => {
  it('are one file per chart in dist/k8s, and every object validates against the Kubernetes schemas', () => {
    expect(files.map((f) => f.path)).toEqual(['adguard-home.k8s.yaml']);
    const objects = files.flatMap((f) => parseManifest(f.content));
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Namespace', 'PersistentVolumeClaim', 'PersistentVolumeClaim', 'Service']);
    expect(objects.flatMap(kubernetesProblems)).toEqual([]);
  });

  it('pins AdGuard Home to the node of pi-network, by its host name', () => {
    const pod = adguardPod(objectsOf('adguard-home.k8s.yaml'));
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [ref.piNetwork.hostName] }] },
    ]);
    expect(ref.k3s.cluster.nodeFor(ref.piNetwork)?.nodeName).toBe('pi-network');
  });

  it('publishes DNS on container port 53 as hostPort 5353 for UDP and TCP', () => {
    const container = adguardPod(objectsOf('adguard-home.k8s.yaml')).containers[0];
    const dns = container.ports.filter((p: any) => p.containerPort === 53);
    expect(dns.map((p: any) => [p.protocol, p.hostPort])).toEqual([
      ['UDP', 5353],
      ['TCP', 5353],
    ]);
    expect(ref.k3s.adguard.dnsPort).toBe(5353);
    expect(ref.k3s.adguard.dnsAddress).toBe('127.0.0.1');
  });

  it('puts the upstreams of the model into the initial AdGuardHome.yaml of a ConfigMap', () => {
    const objects = objectsOf('adguard-home.k8s.yaml');
    const config = parse(only(objects, 'ConfigMap').data['AdGuardHome.yaml']);
    expect(config.dns.upstream_dns).toEqual(ref.k3s.adguard.upstreams.map(adGuardUpstream));
    expect(config.dns.upstream_dns).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(config.dns.port).toBe(53);
    expect(config.http.address).toBe(`0.0.0.0:${ref.k3s.adguard.webPort}`);
    expect(config.schema_version).toEqual(expect.any(Number));
    // AdGuard Home's own lookups (filter lists) go to the same resolvers, not through itself.
    expect(adguardPod(objects).dnsConfig.nameservers).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(adguardPod(objects).dnsPolicy).toBe('None');
  });

  it('does not rate-limit dnsmasq, the one client that speaks for the whole LAN, and answers only the pod network (AdguardTeam/AdGuardHome#6726)', () => {
    const config = parse(only(objectsOf('adguard-home.k8s.yaml'), 'ConfigMap').data['AdGuardHome.yaml']);
    // AdGuard's default is 20 queries/s per client; above it dnsmasq falls back past the filter.
    expect(config.dns.ratelimit).toBe(0);
    // dnsmasq asks 127.0.0.1:5353; the portmap plugin masquerades that to the node's cni0 address.
    expect(config.dns.allowed_clients).toEqual([ref.k3s.cluster.clusterCidr]);
    expect(ref.k3s.cluster.clusterCidr).toBe('10.42.0.0/16');
  });

  it('recreates the pod (a hostPort cannot roll) and runs it as non-root with a read-only root file system', () => {
    const objects = objectsOf('adguard-home.k8s.yaml');
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] });
    for (const container of [...pod.containers, ...pod.initContainers]) {
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
      });
      expect(container.image).toBe(ref.k3s.adguard.image);
      expect(container.image).toMatch(/^adguard\/adguardhome:v\d+\.\d+\.\d+$/);
    }
  });

  it('sets requests, limits and probes, and keeps config and work data on local-path volumes', () => {
    const objects = objectsOf('adguard-home.k8s.yaml');
    const container = adguardPod(objects).containers[0];
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(container.readinessProbe.tcpSocket.port).toBe(53);
    expect(container.livenessProbe.httpGet.port).toBe(ref.k3s.adguard.webPort);
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => [c.metadata.name, c.spec.storageClassName, c.spec.accessModes])).toEqual([
      ['adguard-home-conf', 'local-path', ['ReadWriteOnce']],
      ['adguard-home-work', 'local-path', ['ReadWriteOnce']],
    ]);
    const volumes = Object.fromEntries(adguardPod(objects).volumes.map((v: any) => [v.name, v.persistentVolumeClaim?.claimName]));
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, volumes[m.name]]));
    expect(mounts['/opt/adguardhome/conf']).toBe('adguard-home-conf');
    expect(mounts['/opt/adguardhome/work']).toBe('adguard-home-work');
  });

  it('puts the web UI behind a Service that selects the pod', () => {
    const objects = objectsOf('adguard-home.k8s.yaml');
    const service = only(objects, 'Service');
    const deployment = only(objects, 'Deployment');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP', targetPort: ref.k3s.adguard.webPort }]);
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
  });

  it('creates the namespace first, without a namespace of its own (a JSON patch removes the chart default)', () => {
    const objects = objectsOf('adguard-home.k8s.yaml');
    expect(objects[0].kind).toBe('Namespace');
    expect(objects[0].metadata).not.toHaveProperty('namespace');
    expect(objects[0].metadata.name).toBe('adguard-home');
    expect(objects.slice(1).every((o) => o.metadata.namespace === 'adguard-home')).toBe(true);
  });

  it("keeps the initial configuration's copy script to sh that shellcheck accepts, copying only onto an empty volume", () => {
    const init = adguardPod(objectsOf('adguard-home.k8s.yaml')).initContainers[0];
    expect(init.command.slice(0, 3)).toEqual(['sh', '-c', INITIAL_CONFIG_SCRIPT]);
    const check = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: `#!/bin/sh\n${INITIAL_CONFIG_SCRIPT}\n`, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    // Run it as the pod does, with the same arguments under a scratch root.
    const root = tempDir();
    const [from, to] = init.command.slice(4).map((p: string) => path.join(root, p));
    fs.mkdirSync(path.dirname(from), { recursive: true });
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(from, 'model\n');
    const run = () => execFileSync('sh', ['-c', INITIAL_CONFIG_SCRIPT, 'initial-config', from, to]);
    run();
    expect(fs.readFileSync(to, 'utf8')).toBe('model\n');
    fs.writeFileSync(to, 'changed in the UI\n');
    run();
    expect(fs.readFileSync(to, 'utf8')).toBe('changed in the UI\n');
  });

  it('carries no Secret object and nothing of the cluster token', () => {
    const objects = files.flatMap((f) => parseManifest(f.content));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = files.map((f) => f.content).join('\n');
    expect(text).not.toContain(ref.k3s.cluster.token.reference);
    expect(text).not.toContain('/run/secrets');
  });

  it('renders the same model to the same bytes, as cdk8s app.synth() writes them', () => {
    expect(renderKubernetesManifests(buildReferenceLab().lab)).toEqual(files);
    const out = tempDir();
    buildKubernetesApp(buildReferenceLab().lab, { outdir: out }).synth();
    expect(fs.readdirSync(out).sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) {
      expect(fs.readFileSync(path.join(out, f.path), 'utf8')).toBe(f.content);
    }
  });
});

describe('the AdGuard port is written once', () => {
  it('changes the hostPort, the host reservation and the upstream that dnsmasq reads together', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi, dnsPort: 5454 });
    expect(errorsOf(lab)).toEqual([]);
    const container = adguardPod(objectsOf('adguard-home.k8s.yaml', renderKubernetesManifests(lab))).containers[0];
    expect(container.ports.filter((p: any) => p.containerPort === 53).map((p: any) => p.hostPort)).toEqual([5454, 5454]);
    expect(pi.ports.filter((p) => p.owner === adguard).map((p) => `${p.port}/${p.protocol}`)).toEqual(['5454/tcp', '5454/udp']);
    // What a forwarder on the Pi (dnsmasq's server=127.0.0.1#port) reads:
    const upstream: { dnsAddress: string; dnsPort: number } = adguard;
    expect(`${upstream.dnsAddress}#${upstream.dnsPort}`).toBe('127.0.0.1#5454');
    expect(pi.ports.some((p) => p.port === 5454 && p.protocol === Protocol.UDP && p.openFirewall === false)).toBe(true);
  });

  it('writes other upstreams of the model, with their ports', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    new AdGuardHome(cluster, 'adguard-home', { host: pi, upstreams: [new DnsUpstream({ address: '9.9.9.9' }), new DnsUpstream({ address: '10.0.0.1', port: 5300 })] });
    const objects = objectsOf('adguard-home.k8s.yaml', renderKubernetesManifests(lab));
    expect(parse(only(objects, 'ConfigMap').data['AdGuardHome.yaml']).dns.upstream_dns).toEqual(['9.9.9.9', '10.0.0.1:5300']);
    // Only port-53 resolvers can be the pod's nameservers.
    expect(adguardPod(objects).dnsConfig.nameservers).toEqual(['9.9.9.9']);
  });

  it('writes a rate limit and further allowed clients when the model gives them', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    new AdGuardHome(cluster, 'adguard-home', { host: pi, rateLimit: 100, allowedClients: ['10.0.0.0/24', '10.0.0.7'] });
    const dns = parse(only(objectsOf('adguard-home.k8s.yaml', renderKubernetesManifests(lab)), 'ConfigMap').data['AdGuardHome.yaml']).dns;
    expect(dns.ratelimit).toBe(100);
    expect(dns.allowed_clients).toEqual(['10.42.0.0/16', '10.0.0.0/24', '10.0.0.7']);
  });
});

describe("the user's own workloads", () => {
  it('builds a ClusterChart into its own file, pinned by Host, tolerating the node taints', () => {
    const { lab, cluster, server, worker1 } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(worker1, { taints: [{ key: 'dedicated', value: 'media', effect: TaintEffect.NO_SCHEDULE }] });
    new ClusterChart(cluster, 'whoami', {
      namespace: 'apps',
      build: (chart) => {
        const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] });
        onHost(web, worker1);
      },
    });
    expect(errorsOf(lab)).toEqual([]);
    const rendered = renderKubernetesManifests(lab);
    expect(rendered.map((f) => f.path)).toEqual(['whoami.k8s.yaml']);
    const objects = objectsOf('whoami.k8s.yaml', rendered);
    expect(objects.flatMap(kubernetesProblems)).toEqual([]);
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['worker1']);
    expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' }]);
    expect(only(objects, 'Deployment').metadata.namespace).toBe('apps');
    // Kubernetes does not create a namespace an object names: the chart brings it, first.
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'apps' } });
    expect(objects[0].metadata.namespace).toBeUndefined();
  });

  it('does not add a Namespace object the build made itself, nor one for a built-in namespace', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    new ClusterChart(cluster, 'mine', { namespace: 'apps', build: (chart) => void new kplus.Namespace(chart, 'ns', { metadata: { name: 'apps' } }) });
    new ClusterChart(cluster, 'system', { namespace: 'kube-system', build: (chart) => void new kplus.ConfigMap(chart, 'cm', { data: { a: 'b' } }) });
    const rendered = renderKubernetesManifests(lab);
    expect(objectsOf('mine.k8s.yaml', rendered).filter((o) => o.kind === 'Namespace')).toHaveLength(1);
    expect(objectsOf('system.k8s.yaml', rendered).map((o) => o.kind)).toEqual(['ConfigMap']);
  });

  it("patches a generated object through the chart of a model workload (JSON patch escape hatch)", () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi });
    new ClusterChart(cluster, 'tweaks', {
      build: (_chart, context) => {
        const chart = context.chartOf<AdGuardHomeChart>(adguard);
        ApiObject.of(chart.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'system-cluster-critical'));
      },
    });
    expect(errorsOf(lab)).toEqual([]);
    const rendered = renderKubernetesManifests(lab);
    expect(rendered.map((f) => f.path)).toEqual(['adguard-home.k8s.yaml', 'tweaks.k8s.yaml']);
    const objects = objectsOf('adguard-home.k8s.yaml', rendered);
    // kubernetes-models accepts unknown fields, so the patched field is asserted itself.
    expect(adguardPod(objects).priorityClassName).toBe('system-cluster-critical');
    expect(objects.flatMap(kubernetesProblems)).toEqual([]);
    expect(objectsOf('tweaks.k8s.yaml', rendered)).toEqual([]);
  });

  it('gives programs the App itself, with the charts of the model', () => {
    const app = buildKubernetesApp(buildReferenceLab().lab, { outdir: tempDir() });
    expect(app.charts.map((c) => c.node.id)).toEqual(['adguard-home']);
    expect(manifestFiles(app)).toEqual(files);
  });
});
