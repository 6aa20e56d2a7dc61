import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Addressing, AdGuardHome, Dnsmasq, DnsUpstream, HardwareProfile, Host, K3sCluster, renderLab, Secret } from '../../lib';
import { materialize, smallLab, vmHost } from '../support/labs';
import { evalModule } from '../support/nix';
import { parseManifest } from '../support/k8s';

/** A Pi with dnsmasq forwarding to AdGuard Home in a one-server cluster, AdGuard on `port`. */
function dnsChainLab(port: number) {
  const { lab } = smallLab();
  const pi = new Host(lab, 'pi', {
    hardware: HardwareProfile.raspberryPi4(),
    ipAddress: '10.0.0.10',
    macAddress: 'dc:a6:32:00:00:10',
    addressing: Addressing.STATIC,
  });
  const cluster = new K3sCluster(lab, 'k3s', { token: Secret.fromFile('/var/lib/secrets/k3s-token') });
  cluster.addServer(vmHost(lab, 'server', '10.0.0.11'));
  cluster.addAgent(pi);
  const adguard = new AdGuardHome(cluster, 'adguard', { host: pi, dnsPort: port });
  new Dnsmasq(pi, 'dnsmasq', { upstreams: [adguard, DnsUpstream.CLOUDFLARE] });
  return lab;
}

/** The AdGuard hostPorts of the manifests and the dnsmasq servers of the Pi's NixOS module. */
function chainOf(port: number) {
  const dir = materialize(renderLab(dnsChainLab(port)).files);
  const dnsmasq = evalModule(path.join(dir, 'nix/hosts/pi/dnsmasq.nix'));
  const objects = parseManifest(fs.readFileSync(path.join(dir, 'k8s/adguard-home.k8s.yaml'), 'utf8'));
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const ports = (deployment.spec as any).template.spec.containers.flatMap((c: any) => c.ports ?? []);
  return {
    servers: dnsmasq.services.dnsmasq.settings.server as string[],
    hostPorts: ports.filter((p: any) => p.hostPort !== undefined).map((p: any) => `${p.hostPort}/${p.protocol}`).sort(),
  };
}

describe('the DNS chain: dnsmasq → AdGuard Home, one port in the model', () => {
  it('feeds the AdGuard port to both the pod\'s hostPort and the Pi\'s dnsmasq upstream', () => {
    expect(chainOf(5353)).toEqual({ servers: ['127.0.0.1#5353', '1.1.1.1'], hostPorts: ['5353/TCP', '5353/UDP'] });
    expect(chainOf(5454)).toEqual({ servers: ['127.0.0.1#5454', '1.1.1.1'], hostPorts: ['5454/TCP', '5454/UDP'] });
  });
});
