import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import {
  AdGuardHome,
  ClusterChart,
  K3sCluster,
  K3sComponent,
  K3sNode,
  K3sRole,
  onHost,
  Protocol,
  Secret,
  synthesize,
  TaintEffect,
  ValidationError,
} from '../../lib/internal';
import { readTree, tempDir } from '../support/labs';
import { clusterLab, errorsOf, PortHolder, warningsOf } from '../support/cluster';

/** A lab with a server, two agents and AdGuard Home on the Pi (an agent): valid. */
function validLab() {
  const fixture = clusterLab();
  const { cluster, server, worker1, worker2, pi } = fixture;
  cluster.addServer(server);
  cluster.addAgent(worker1);
  cluster.addAgent(worker2);
  cluster.addAgent(pi);
  const adguard = new AdGuardHome(cluster, 'adguard-home', { host: pi });
  return { ...fixture, adguard };
}

describe('a valid cluster', () => {
  it('has no errors and no warnings', () => {
    const { lab } = validLab();
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([]);
  });

  it('lets the first server initialize the cluster and the others join it', () => {
    const { cluster, server, worker1, worker2 } = clusterLab();
    const first = cluster.addServer(server);
    const second = cluster.addServer(worker1);
    const agent = cluster.addAgent(worker2);
    expect([first.clusterInit, second.clusterInit, agent.clusterInit]).toEqual([true, false, false]);
    expect(cluster.primaryServer).toBe(first);
    expect(first.serverAddress).toBeUndefined();
    expect(second.serverAddress).toBe(`https://${server.ipAddress}:6443`);
    expect(agent.serverAddress).toBe(`https://${server.ipAddress}:6443`);
  });
});

describe('cluster validation', () => {
  it('refuses more than one cluster-init server', () => {
    const { lab, cluster, server, worker1 } = clusterLab();
    cluster.addServer(server);
    cluster.addServer(worker1, { clusterInit: true });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/worker1: testlab/k3s/server already initializes the cluster (clusterInit); two servers that both initialize make two separate clusters. Fix: leave clusterInit on one server only; the others join it.',
    ]);
  });

  it('refuses an agent without a server', () => {
    const { lab, cluster, worker1 } = clusterLab();
    cluster.addAgent(worker1);
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/worker1: agent worker1 has no server to join: the cluster testlab/k3s has no server node. Fix: add a server, e.g. cluster.addServer(host).',
    ]);
  });

  it('refuses nodes on different k3s versions', () => {
    const { lab, cluster, server, worker1 } = clusterLab({ version: '1.35' });
    cluster.addServer(server);
    cluster.addAgent(worker1, { version: '1.34' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/worker1: node worker1 runs k3s 1.34 but the cluster testlab/k3s pins 1.35; the nodes would run different Kubernetes versions. Fix: remove version from the node (it follows the cluster), or change the cluster\'s version for all nodes.',
    ]);
  });

  it('refuses AdGuard Home pinned to a host that is not a cluster node', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    new AdGuardHome(cluster, 'adguard-home', { host: pi });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: it is pinned to testlab/pi, which is not a node of the cluster testlab/k3s. Fix: pin it to one of the cluster\'s hosts (server), or add pi to the cluster with cluster.addAgent(host).',
    ]);
  });

  it('refuses a workload of a ClusterChart pinned to a host that is not a cluster node', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    new ClusterChart(cluster, 'whoami', {
      build: (chart) => {
        const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] });
        onHost(web, pi);
      },
    });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/whoami: whoami/web is pinned to testlab/pi, which is not a node of a k3s cluster. Fix: pin it to a host that runs a K3sNode, or add pi to the cluster (cluster.addAgent(host)).',
    ]);
  });

  it('refuses a hostPort that another service on the host already holds (5353)', () => {
    const { lab, pi } = validLab();
    new PortHolder(lab, 'mdns', pi, 5353, [Protocol.UDP]);
    expect(errorsOf(lab)).toEqual([
      'testlab/pi: port 5353/udp is used by both testlab/k3s/adguard-home (AdGuard Home DNS (pod hostPort)) and testlab/mdns (mdns). Fix: move one of them to another port.',
    ]);
  });

  it('refuses AdGuard Home on port 53 where dnsmasq already answers DNS', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    new PortHolder(lab, 'dnsmasq', pi, 53);
    new AdGuardHome(cluster, 'adguard-home', { host: pi, dnsPort: 53 });
    expect(errorsOf(lab)).toEqual([
      'testlab/pi: port 53/tcp is used by both testlab/dnsmasq (dnsmasq) and testlab/k3s/adguard-home (AdGuard Home DNS (pod hostPort)). Fix: move one of them to another port.',
      'testlab/pi: port 53/udp is used by both testlab/dnsmasq (dnsmasq) and testlab/k3s/adguard-home (AdGuard Home DNS (pod hostPort)). Fix: move one of them to another port.',
    ]);
  });

  it('refuses a token given as a literal string, without repeating it, and writes nothing', () => {
    const token = 'K10f00dcafe0123456789abcdef::server:deadbeef';
    const { lab, cluster, server } = clusterLab({ token: token as unknown as Secret });
    cluster.addServer(server);
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      "testlab/k3s: the cluster token is a literal string; its value would be copied into every node's configuration and so into the world-readable Nix store. Fix: give a reference instead: token: Secret.fromSops({ name: 'k3s-token' }) (sops-nix) or Secret.fromFile('/var/lib/secrets/k3s-token') (a file you place on every node).",
    ]);
    const dir = tempDir();
    expect(() => synthesize(lab, { outdir: dir })).toThrow(ValidationError);
    expect(readTree(dir)).toEqual({});
    expect(errors.join('\n')).not.toContain('f00dcafe');
  });

  it('refuses a token the nodes cannot read (an environment variable)', () => {
    const { lab, cluster, server } = clusterLab({ token: Secret.fromEnvironment('K3S_TOKEN') });
    cluster.addServer(server);
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s: the cluster token is an environment variable (environment:K3S_TOKEN), which the nodes cannot read. Fix: use Secret.fromSops(...) or Secret.fromFile(...): k3s reads the token from a file on each node.',
    ]);
  });

  it('refuses a token flag in extraFlags and flags the model sets', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, { extraFlags: ['--token=abc', '--node-ip=10.0.0.99', '--kubelet-arg=max-pods=50'] });
    const errors = errorsOf(lab);
    expect(errors).toHaveLength(2);
    expect(errors.find((e) => e.includes('--token'))).toMatch(/^testlab\/k3s\/server: extra flag --token would put the token .* Fix: remove it: the token comes from the cluster's token \(a Secret\)\.$/);
    expect(errors).toContain('testlab/k3s/server: extra flag --node-ip is already set from K3sNode nodeIp. Fix: remove it from extraFlags and use K3sNode nodeIp.');
  });

  it('refuses a --datastore-endpoint whose URL carries a password, without repeating it', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, { extraFlags: ['--datastore-endpoint=postgres://k3s:hunter2@db.lab.example:5432/k3s'] });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      expect.stringMatching(
        /^testlab\/k3s\/server: extra flag --datastore-endpoint carries a URL with a password, which would be copied into the world-readable Nix store\. Fix: remove the flag and set K3S_DATASTORE_ENDPOINT=… in a root-only environment file .*environmentFile.*client certificate/,
      ),
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses a datastore endpoint with a password given as its own element, without repeating it', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, { extraFlags: ['--datastore-endpoint', 'mysql://k3s:hunter2@tcp(db:3306)/k3s'] });
    const errors = errorsOf(lab);
    expect(errors).toEqual([expect.stringMatching(/^testlab\/k3s\/server: extra flag --datastore-endpoint carries a URL with a password.* Fix: .*K3S_DATASTORE_ENDPOINT/)]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses etcd S3 keys in extraFlags, pointing at the environment variables k3s reads', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, { extraFlags: ['--etcd-s3-secret-key=hunter2', '--etcd-s3-access-key', 'AKIAEXAMPLE'] });
    const errors = errorsOf(lab);
    expect(errors).toEqual([
      expect.stringMatching(/^testlab\/k3s\/server: extra flag --etcd-s3-access-key carries a credential.* Fix: .*AWS_ACCESS_KEY_ID=…/),
      expect.stringMatching(/^testlab\/k3s\/server: extra flag --etcd-s3-secret-key carries a credential.* Fix: .*AWS_SECRET_ACCESS_KEY=…/),
    ]);
    expect(errors.join('\n')).not.toMatch(/hunter2|AKIAEXAMPLE/);
  });

  it('accepts a datastore endpoint without a password', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, { extraFlags: ['--datastore-endpoint=postgres://db.lab.example:5432/k3s?sslmode=verify-full', '--datastore-certfile=/var/lib/k3s/db.crt'] });
    expect(errorsOf(lab)).toEqual([]);
  });

  it('refuses pod and service networks with host bits set, naming the network addresses', () => {
    const { lab, cluster, server } = clusterLab({ clusterCidr: '10.42.0.1/16', serviceCidr: '10.43.7.0/16' });
    cluster.addServer(server);
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s: the cluster (pod) network 10.42.0.1/16 has host bits set: its network address is 10.42.0.0. Fix: write the network address, 10.42.0.0/16.',
      'testlab/k3s: the service network 10.43.7.0/16 has host bits set: its network address is 10.43.0.0. Fix: write the network address, 10.43.0.0/16.',
    ]);
  });

  it('refuses pod and service networks that overlap the LAN or each other', () => {
    const { lab, cluster, server } = clusterLab({ clusterCidr: '10.0.0.0/16', serviceCidr: '10.0.128.0/17' });
    cluster.addServer(server);
    expect(errorsOf(lab)).toEqual([
      "testlab/k3s: the cluster (pod) network 10.0.0.0/16 overlaps the lab's LAN 10.0.0.0/24. Fix: choose a private range the LAN does not use, such as the k3s defaults 10.42.0.0/16 and 10.43.0.0/16.",
      'testlab/k3s: the cluster network 10.0.0.0/16 and the service network 10.0.128.0/17 overlap. Fix: give them separate ranges.',
    ]);
  });

  it('refuses node labels the kubelet may not set, and malformed taints', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server, {
      labels: { 'node-role.kubernetes.io/worker': 'true', 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' },
      taints: [{ key: 'bad key', effect: TaintEffect.NO_SCHEDULE }],
    });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/server: node label node-role.kubernetes.io/worker is in the kubernetes.io namespace, which the kubelet may not set on its own node. Fix: use a prefix of your own (e.g. "homelab/role"), or set the label with kubectl after the node joined.',
      'testlab/k3s/server: taint key "bad key" is not a Kubernetes taint key. Fix: use a label-style key such as "dedicated" or "example.com/gpu".',
    ]);
  });

  it('refuses one host in two node declarations, and a second cluster', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    new K3sNode(cluster, 'again', { host: server, role: K3sRole.AGENT });
    new K3sCluster(lab, 'other', { token: Secret.fromFile('/run/other-token') });
    const errors = errorsOf(lab);
    expect(errors).toContain('testlab/k3s/again: host server already runs the k3s node testlab/k3s/server. Fix: declare one K3sNode per host.');
    expect(errors).toContain(
      'testlab/other: the lab already has the k3s cluster testlab/k3s; its manifests go to one dist/k8s folder. Fix: declare one K3sCluster per lab and add every node to it.',
    );
    expect(warningsOf(lab)).toEqual(['testlab/other: the cluster has no nodes. Fix: add nodes with cluster.addServer(host) and cluster.addAgent(host). [homelab-cdk:cluster-without-nodes]']);
  });

  it('refuses an agent that initializes the cluster, with the other findings', () => {
    const { lab, cluster, worker1 } = clusterLab();
    new K3sNode(cluster, 'w', { host: worker1, role: K3sRole.AGENT, clusterInit: true });
    expect(errorsOf(lab)).toContain('testlab/k3s/w: an agent cannot initialize the cluster (clusterInit). Fix: make it a server, or drop clusterInit.');
  });

  it('refuses a negative rate limit and an allowed client that is no address', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    new AdGuardHome(cluster, 'adguard-home', { host: pi, rateLimit: -1, allowedClients: ['phones'] });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: allowed client "phones" is neither an IPv4 address nor a CIDR. Fix: write it like "192.168.178.10" or "192.168.178.0/24".',
      'testlab/k3s/adguard-home: rateLimit -1 is not a number of queries per second. Fix: give a whole number, or 0 for no limit.',
    ]);
  });

  it('refuses an AdGuard Home image that is not pinned, and volumes on a disabled local-path', () => {
    const { lab, cluster, server, pi } = clusterLab({ disable: [K3sComponent.LOCAL_STORAGE] });
    cluster.addServer(server);
    cluster.addAgent(pi);
    new AdGuardHome(cluster, 'adguard-home', { host: pi, image: 'adguard/adguardhome:latest' });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/adguard-home: image "adguard/adguardhome:latest" is not pinned to a release. Fix: name a tag other than "latest" (and a digest if you can), e.g. "adguard/adguardhome:v0.107.79".',
      'testlab/k3s/adguard-home: its volumes use the storage class local-path, but the cluster testlab/k3s disables local-storage. Fix: keep local-storage enabled, or set storageClass to a class your cluster has.',
    ]);
  });

  it('reports an exception of a ClusterChart build function on the chart', () => {
    const { lab, cluster, server } = clusterLab();
    cluster.addServer(server);
    new ClusterChart(cluster, 'broken', {
      build: () => {
        throw new Error('no image given');
      },
    });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/broken: its build function threw "no image given". Fix: correct the build function (the error comes from it or from cdk8s).',
    ]);
  });

  it('refuses a ClusterChart whose name is already the chart of a workload', () => {
    const { lab, cluster, server, pi } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(pi);
    new AdGuardHome(cluster, 'adguard-home', { host: pi });
    new ClusterChart(cluster, 'mine', { chartName: 'adguard-home', build: () => undefined });
    expect(errorsOf(lab)).toEqual([
      'testlab/k3s/mine: chart name adguard-home is already the chart of testlab/k3s/adguard-home. Fix: give the chart another name (chartName).',
    ]);
  });
});

describe('ports of the nodes', () => {
  it('reserves 6443/tcp on servers, 10250/tcp and 8472/udp on every node, etcd on servers of an HA cluster', () => {
    const { cluster, server, worker1, worker2 } = clusterLab();
    cluster.addServer(server);
    cluster.addAgent(worker1);
    const portsOf = (h: typeof server) => h.ports.filter((p) => p.owner !== h).map((p) => `${p.port}/${p.protocol}`);
    expect(portsOf(server)).toEqual(['6443/tcp', '10250/tcp', '8472/udp']);
    expect(portsOf(worker1)).toEqual(['10250/tcp', '8472/udp']);
    cluster.addServer(worker2);
    expect(portsOf(server)).toEqual(['2379/tcp', '2380/tcp', '6443/tcp', '10250/tcp', '8472/udp']);
    expect(portsOf(worker2)).toEqual(['2379/tcp', '2380/tcp', '6443/tcp', '10250/tcp', '8472/udp']);
  });
});
