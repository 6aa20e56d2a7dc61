import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Addressing, Dnsmasq, HardwareProfile, Host, labDiagram, renderNixFlake, Secret, synthesize, TaintEffect } from '../../lib/internal';
import { dnsmasqConf } from '../../lib/nix/renderers/network/dnsmasq';
import { resolverFor, startDnsmasq } from '../support/dns';
import { ReferenceLab } from '../../apps/reference-lab';
import { materialize, tempDir, vmHost } from '../support/labs';
import { evalModule, evalNixJson, nixFilesUnder, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';
import { buildReferenceLab } from '../../apps/reference-lab';
import { clusterLab, errorsOf, warningsOf } from '../support/cluster';

let ref: ReferenceLab;
let nixDir: string;
let rendered: ReadonlyArray<{ path: string; content: string }>;

beforeAll(() => {
  const { ref: r, result, nixDir: n } = synthesizeReferenceLab();
  ref = r;
  nixDir = n;
  rendered = result.files;
  withSopsFile(nixDir);
});

/**
 * Puts a stand-in for the sops-encrypted file where synth copies the one `homelab secrets init`
 * made (the flake's secrets/k3s-token.yaml), so that Nix can evaluate the path to it.
 */
function withSopsFile(dir: string): string {
  fs.mkdirSync(path.join(dir, 'secrets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'secrets', 'k3s-token.yaml'), 'k3s-token: ENC[stand-in]\n');
  return dir;
}

/** A host's k3s module, evaluated with the real Nix. */
function k3sModule(dir: string, hostName: string, packageAttribute: string): Record<string, any> {
  return evalModule(path.join(dir, 'hosts', hostName, 'k3s.nix'), [packageAttribute]);
}

describe('the reference lab\'s k3s nodes on NixOS', () => {
  it('parses: the four k3s modules, with the real Nix parser', () => {
    const files = ['k3s-node1', 'k3s-node2', 'k3s-node3', 'pi-network'].map((h) => path.join(nixDir, 'hosts', h, 'k3s.nix'));
    expect(files.every((f) => fs.existsSync(f))).toBe(true);
    expect(parseNixFiles(nixFilesUnder(nixDir))).toEqual([]);
    expect(fs.existsSync(path.join(nixDir, 'hosts', 'maxdata', 'k3s.nix'))).toBe(false);
  });

  it('gives k3s-node1 the server role that initializes the cluster, and the others the agent role joining it', () => {
    const { cluster } = ref.k3s;
    const server = cluster.primaryServer!;
    expect(server.host).toBe(ref.k3sNodes[0]);
    const expectedServerAddr = `https://${ref.k3sNodes[0].ipAddress}:6443`;
    for (const node of cluster.nodes) {
      const k3s = k3sModule(nixDir, node.host.hostName, cluster.packageAttribute).services.k3s;
      expect(k3s.enable).toBe(true);
      expect(k3s.package).toBe(`pkg:${cluster.packageAttribute}`);
      expect(k3s.tokenFile).toBe('/run/secrets/k3s-token');
      expect(k3s.nodeIP).toBe(node.host.ipAddress);
      if (node === server) {
        expect(k3s.role).toBe('server');
        expect(k3s.clusterInit).toBe(true);
        expect(k3s.serverAddr).toBeUndefined();
        expect(k3s.disable).toEqual(['servicelb', 'traefik']);
        expect(k3s.extraFlags).toEqual(['--cluster-cidr=10.42.0.0/16', '--service-cidr=10.43.0.0/16']);
      } else {
        expect(k3s.role).toBe('agent');
        expect(k3s.clusterInit).toBeUndefined();
        expect(k3s.serverAddr).toBe(expectedServerAddr);
        expect(k3s.disable).toBeUndefined();
      }
    }
    expect(cluster.nodes.map((n) => `${n.host.hostName}:${n.role}`)).toEqual(['k3s-node1:server', 'k3s-node2:agent', 'k3s-node3:agent', 'pi-network:agent']);
    expect(ref.piNetwork.system).toBe('aarch64-linux');
  });

  it("takes the agents' server address from the server's host: another address there moves it", () => {
    for (const serverIp of ['10.0.0.11', '10.0.0.21']) {
      const { lab, cluster, server, worker1, pi } = clusterLab();
      Object.defineProperty(server, 'ipAddress', { value: serverIp }); // the one place of the server's address
      cluster.addServer(server);
      cluster.addAgent(worker1);
      cluster.addAgent(pi);
      const dir = withSopsFile(materialize(renderNixFlake(lab)));
      for (const agent of ['worker1', 'pi']) {
        expect(k3sModule(dir, agent, cluster.packageAttribute).services.k3s.serverAddr).toBe(`https://${serverIp}:6443`);
      }
      expect(k3sModule(dir, 'server', cluster.packageAttribute).services.k3s.nodeIP).toBe(serverIp);
    }
  });

  it('provisions the token with sops-nix: the flake input, its module on every node, and the secret', () => {
    const inputs = evalNixJson(`(import ${nixDir}/flake.nix).inputs`) as Record<string, any>;
    expect(inputs['sops-nix']).toEqual({ url: 'github:Mic92/sops-nix', inputs: { nixpkgs: { follows: 'nixpkgs' } } });
    const flake = fs.readFileSync(path.join(nixDir, 'flake.nix'), 'utf8');
    // every node, and maxdata, whose Grafana and off-site backup secrets are sops secrets too
    expect(flake.match(/inputs\.sops-nix\.nixosModules\.sops/g)).toHaveLength(ref.k3s.k3sNodes.length + 1);
    const module = k3sModule(nixDir, 'pi-network', ref.k3s.cluster.packageAttribute);
    expect(module.sops.secrets['k3s-token']).toMatchObject({ owner: 'root', mode: '0400' });
    // The encrypted file sits in the flake, at secrets/k3s-token.yaml (read without copying it to the store).
    const file = path.join(nixDir, 'hosts/pi-network/k3s.nix');
    const sopsFile = evalNixJson(`toString ((import ${file}) { config = { }; lib = { }; pkgs = { ${ref.k3s.cluster.packageAttribute} = null; }; }).sops.secrets."k3s-token".sopsFile`);
    expect(sopsFile).toBe(path.join(nixDir, 'secrets/k3s-token.yaml'));
  });

  it('opens 6443/tcp on the server, 10250/tcp and 8472/udp on every node, and keeps the AdGuard hostPort closed', () => {
    for (const node of ref.k3s.cluster.nodes) {
      const firewall = evalModule(path.join(nixDir, 'hosts', node.host.hostName, 'configuration.nix'), node.host.packages).networking.firewall;
      expect(firewall.allowedTCPPorts.includes(6443)).toBe(node.host === ref.k3sNodes[0]);
      expect(firewall.allowedTCPPorts).toContain(10250);
      expect(firewall.allowedUDPPorts).toContain(8472);
      expect(firewall.allowedTCPPorts).not.toContain(ref.k3s.adguard.dnsPort);
      expect(firewall.allowedUDPPorts).not.toContain(ref.k3s.adguard.dnsPort);
    }
  });

  it('writes no token value anywhere: only references to /run/secrets/k3s-token', () => {
    const all = rendered.map((f) => f.content).join('\n');
    expect(all).not.toMatch(/\btoken\s*=\s*"/);
    expect(all).not.toMatch(/agentToken|--token=|--agent-token/);
    expect(rendered.filter((f) => f.content.includes('k3s-token')).map((f) => f.path)).toEqual([
      'nix/hosts/k3s-node1/k3s.nix',
      'nix/hosts/k3s-node2/k3s.nix',
      'nix/hosts/k3s-node3/k3s.nix',
      'nix/hosts/pi-network/k3s.nix',
    ]);
  });
});

describe('k3s nodes of other labs', () => {
  it('uses a token file the user places, without sops-nix', () => {
    const { lab, cluster, server } = clusterLab({ token: Secret.fromFile('/var/lib/secrets/k3s-token') });
    cluster.addServer(server);
    const files = renderNixFlake(lab);
    const dir = materialize(files);
    const module = k3sModule(dir, 'server', cluster.packageAttribute);
    expect(module.services.k3s.tokenFile).toBe('/var/lib/secrets/k3s-token');
    expect(module.sops).toBeUndefined();
    expect(files.find((f) => f.path === 'flake.nix')!.content).not.toContain('sops-nix');
  });

  it('writes labels and taints as k3s takes them, and the pinned version', () => {
    const { lab, cluster, server, pi } = clusterLab({ version: '1.34' });
    cluster.addServer(server);
    cluster.addAgent(pi, {
      labels: { 'homelab/site': 'network', 'homelab/arch': 'arm64' },
      taints: [
        { key: 'dedicated', value: 'network', effect: TaintEffect.NO_SCHEDULE },
        { key: 'example.com/slow', effect: TaintEffect.PREFER_NO_SCHEDULE },
      ],
      extraFlags: ['--kubelet-arg=max-pods=50'],
    });
    const dir = materialize(renderNixFlake(lab));
    const k3s = k3sModule(dir, 'pi', 'k3s_1_34').services.k3s;
    expect(k3s.package).toBe('pkg:k3s_1_34');
    expect(k3s.nodeLabel).toEqual(['homelab/arch=arm64', 'homelab/site=network']);
    expect(k3s.nodeTaint).toEqual(['dedicated=network:NoSchedule', 'example.com/slow:PreferNoSchedule']);
    expect(k3s.extraFlags).toEqual(['--kubelet-arg=max-pods=50']);
  });

  it('lets a second server join the first with the etcd ports open on both', () => {
    const { lab, cluster, server, worker1 } = clusterLab();
    cluster.addServer(server);
    cluster.addServer(worker1);
    const dir = tempDir();
    synthesize(lab, { outdir: dir });
    const joining = k3sModule(path.join(dir, 'nix'), 'worker1', cluster.packageAttribute).services.k3s;
    expect(joining.role).toBe('server');
    expect(joining.clusterInit).toBeUndefined();
    expect(joining.serverAddr).toBe(`https://${server.ipAddress}:6443`);
    for (const host of ['server', 'worker1']) {
      const firewall = evalModule(path.join(dir, 'nix', 'hosts', host, 'configuration.nix')).networking.firewall;
      expect(firewall.allowedTCPPorts).toEqual(expect.arrayContaining([2379, 2380, 6443]));
    }
  });
});

describe('the registration address of an HA cluster (k3s "fixed registration address")', () => {
  /** Three servers and an agent, with the lab's DNS on the Pi. */
  function haLab(props: Parameters<typeof clusterLab>[0] = {}) {
    const t = clusterLab(props);
    // The Pi's own address is static: a DHCP server cannot lease itself one.
    const anchor = new Host(t.lab, 'anchor', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
    new Dnsmasq(anchor, 'dnsmasq');
    const third = vmHost(t.lab, 'server3', '10.0.0.14');
    t.cluster.addServer(t.server);
    t.cluster.addServer(t.worker1);
    t.cluster.addServer(third);
    t.cluster.addAgent(t.worker2);
    return { ...t, third };
  }

  it('lets every node join through a name that the lab\'s dnsmasq answers with every server, in the servers\' certificate', async () => {
    const { lab, cluster } = haLab();
    expect(errorsOf(lab)).toEqual([]);
    expect(cluster.registrationHost).toBe('k3s-api.lab.example');
    const dir = materialize(renderNixFlake(lab));
    for (const host of ['worker1', 'server3', 'worker2']) {
      expect(k3sModule(dir, host, cluster.packageAttribute).services.k3s.serverAddr, host).toBe('https://k3s-api.lab.example:6443');
    }
    for (const host of ['server', 'worker1', 'server3']) {
      expect(k3sModule(dir, host, cluster.packageAttribute).services.k3s.extraFlags, host).toContain('--tls-san=k3s-api.lab.example');
    }
    expect(k3sModule(dir, 'worker2', cluster.packageAttribute).services.k3s.extraFlags ?? []).not.toContain('--tls-san=k3s-api.lab.example');
    // The real dnsmasq, with the DNS part of the generated configuration, answers all three.
    const settings = evalModule(path.join(dir, 'hosts/anchor/dnsmasq.nix')).services.dnsmasq.settings as Record<string, unknown>;
    const dnsPart = Object.fromEntries(Object.entries(settings).filter(([k]) => !/^(interface|bind-dynamic|dhcp-|server|strict-order)/.test(k)));
    const server = await startDnsmasq(dnsmasqConf(dnsPart));
    try {
      const resolver = resolverFor(server.port);
      expect((await resolver.resolve4('k3s-api.lab.example')).sort()).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.14']);
      // A reverse lookup still names the server itself.
      expect(await resolver.reverse('10.0.0.12')).toEqual(['worker1.lab.example']);
    } finally {
      await server.stop();
    }
  });

  it('takes a virtual IP that the user keeps on the servers (kube-vip, keepalived)', () => {
    const { lab, cluster } = haLab({ registrationAddress: '10.0.0.250' });
    expect(errorsOf(lab)).toEqual([]);
    const dir = materialize(renderNixFlake(lab));
    expect(k3sModule(dir, 'worker2', cluster.packageAttribute).services.k3s.serverAddr).toBe('https://10.0.0.250:6443');
    expect(k3sModule(dir, 'server', cluster.packageAttribute).services.k3s.extraFlags).toContain('--tls-san=10.0.0.250');
    expect(fs.readFileSync(path.join(dir, 'hosts/anchor/dnsmasq.nix'), 'utf8')).not.toContain('k3s-api');
  });

  it('refuses a virtual IP outside the LAN or already a host\'s, and a name nobody answers', () => {
    expect(errorsOf(haLab({ registrationAddress: '192.168.1.5' }).lab)).toEqual([
      'testlab/k3s: the registration address 192.168.1.5 is outside the lab\'s network 10.0.0.0/24. Fix: give a free address of the LAN, kept on the servers by kube-vip or keepalived.',
    ]);
    expect(errorsOf(haLab({ registrationAddress: '10.0.0.13' }).lab)).toEqual([
      'testlab/k3s: the registration address 10.0.0.13 is already the address of testlab/worker2. Fix: give a free address of the LAN as the virtual IP, or a name that the lab\'s DNS answers with every server.',
    ]);
    const { lab, cluster, server } = clusterLab({ registrationAddress: 'api' });
    cluster.addServer(server);
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s: the registration address "api" is a name, but no construct of the lab answers its DNS. Fix: add a Dnsmasq to the lab, or give a virtual IP.',
    ]);
    expect(errorsOf(haLab({ registrationAddress: 'pi' }).lab)).toEqual([
      "testlab/network: testlab/k3s adds the DNS name pi, which is already a device's name. Fix: choose another name.",
    ]);
  });

  it('warns when servers can only be joined through the first one', () => {
    const { lab, cluster, server, worker1 } = clusterLab();
    cluster.addServer(server);
    cluster.addServer(worker1);
    expect(warningsOf(lab)).toContainEqual(expect.stringMatching(/^testlab\/k3s: the cluster has 2 servers, but every node joins the first one's address \(10\.0\.0\.11\): while it is down, nothing can join or rejoin\. Fix: give registrationAddress a virtual IP.*\[homelab-cdk:k3s-single-registration-address\]$/));
  });
});

describe('the diagram of an HA cluster', () => {
  it('draws an edge from every joining server and agent to the server that initializes the cluster', () => {
    const { lab, cluster, server, worker1, worker2 } = clusterLab();
    cluster.addServer(server);
    cluster.addServer(worker1);
    cluster.addAgent(worker2);
    const edges = labDiagram(lab).split('\n').filter((l) => l.includes('-->|k3s'));
    expect(edges).toEqual(['  n_testlab_worker1 -->|k3s server join| n_testlab_server', '  n_testlab_worker2 -->|k3s| n_testlab_server']);
  });
});

describe('the diagram of the reference lab', () => {
  it('ties every machine that is not a VM to the router, and nothing else to it', () => {
    const edges = labDiagram(buildReferenceLab().lab).split('\n').filter((l) => l.includes('gateway') && /---|-->/.test(l));
    expect(edges).toEqual(['  n_homelab_maxdata ---|default route| gateway', '  n_homelab_pi_network ---|default route| gateway']);
  });
});
