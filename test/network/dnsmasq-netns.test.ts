/**
 * The real dnsmasq serving the model's whole configuration (DHCP and DNS, the interface binding
 * included) in network namespaces, to a client that asks for a lease with its own MAC address
 * (busybox udhcpc) and then resolves a lab name (busybox nslookup): once on a DHCP server whose
 * address sits on its NIC (the reference lab's Raspberry Pi), once on a Proxmox host whose
 * address sits on the bridge vmbr0 over its NIC (the NIC is then a bridge port without an
 * address). Needs root for `ip netns` (CI runs as root).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Addressing, Dnsmasq, DnsUpstream, HardwareProfile, Host, Homelab, ProxmoxHost, renderNixFlake } from '../../lib/internal';
import { dnsmasqConf } from '../../lib/nix/renderers/network/dnsmasq';
import { materialize, smallLab, tempDir, vmHost } from '../support/labs';
import { addNamespace, cleanupAfterEach, ip, netnsTag } from '../support/netns';
import { evalModule } from '../support/nix';

const isRoot = process.getuid?.() === 0;
const CLIENT_MAC = '3c:2a:f4:10:20:30';
const CLIENT_ADDRESS = '10.0.0.20';

const defer = cleanupAfterEach();


/** Two namespaces joined by a veth pair: the server's end named `serverNic`, the client's eth0. */
function lanNamespaces(serverNic: string): { server: string; client: string } {
  const tag = netnsTag();
  const server = addNamespace(`hl-s${tag}`, defer);
  const client = addNamespace(`hl-c${tag}`, defer);
  ip('link', 'add', `vs${tag}`, 'type', 'veth', 'peer', 'name', `vc${tag}`);
  ip('link', 'set', `vs${tag}`, 'netns', server);
  ip('link', 'set', `vc${tag}`, 'netns', client);
  ip('-n', server, 'link', 'set', `vs${tag}`, 'name', serverNic);
  ip('-n', client, 'link', 'set', `vc${tag}`, 'name', 'eth0');
  ip('-n', client, 'link', 'set', 'eth0', 'address', CLIENT_MAC);
  for (const [ns, nic] of [[server, serverNic], [client, 'eth0']]) {
    ip('-n', ns, 'link', 'set', nic, 'up');
  }
  return { server, client };
}

/** The whole dnsmasq.conf the model gives `host`, with its lease file moved to a temporary folder. */
function generatedConf(lab: Homelab, host: Host): string {
  const dir = materialize(renderNixFlake(lab));
  const settings = evalModule(path.join(dir, `hosts/${host.hostName}/dnsmasq.nix`)).services.dnsmasq.settings as Record<string, unknown>;
  return dnsmasqConf({ ...settings, 'dhcp-leasefile': path.join(tempDir('dnsmasq-leases-'), 'dnsmasq.leases') });
}

/** Runs the real dnsmasq in `ns` with `conf`, as NixOS runs it (in the foreground). */
async function startDnsmasqIn(ns: string, conf: string): Promise<void> {
  const file = path.join(tempDir('dnsmasq-netns-'), 'dnsmasq.conf');
  fs.writeFileSync(file, conf);
  const child = spawn('ip', ['netns', 'exec', ns, 'dnsmasq', '--keep-in-foreground', `--conf-file=${file}`, '--pid-file=', '--user=root', '--log-facility=-', '--log-dhcp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  child.stdout.on('data', (d) => (log += d));
  defer(() => child.kill('SIGKILL'));
  const deadline = Date.now() + 5000;
  while (!/started, version/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The lease udhcpc gets in `ns` (address, router, DNS servers), or undefined after ~3 s. */
function dhcpLease(ns: string): { ip: string; router: string; dns: string } | undefined {
  const script = path.join(tempDir('udhcpc-'), 'script.sh');
  fs.writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && echo "LEASE ip=$ip router=$router dns=$dns"\nexit 0\n', { mode: 0o755 });
  const r = spawnSync('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '3', '-T', '1', '-s', script], { encoding: 'utf8', timeout: 20_000 });
  const m = /LEASE ip=(\S*) router=(\S*) dns=(.*)/.exec(r.stdout);
  return m ? { ip: m[1], router: m[2], dns: m[3].trim() } : undefined;
}

/** Resolves `name` in `ns` through `server` with busybox nslookup; the answer's addresses. */
function resolveIn(ns: string, server: string, name: string): string[] {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'busybox', 'nslookup', '-type=a', name, server], { encoding: 'utf8', timeout: 10_000 });
  const answer = r.stdout.split(/\n\s*\n/).find((block) => block.includes(`Name:`) && block.includes(name)) ?? '';
  return [...answer.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]);
}

/** A lab with a client device's lease and a web VM: the names the client must get and resolve. */
function withClients(lab: Homelab, dnsmasq: Dnsmasq): Host {
  dnsmasq.addLease('laptop', { macAddress: CLIENT_MAC, ipAddress: CLIENT_ADDRESS });
  return vmHost(lab, 'web', '10.0.0.10');
}

describe.runIf(isRoot)('dnsmasq in network namespaces, serving the model', () => {
  it('on a plain NIC (the Pi): the client gets its static lease, the router and DNS server, and resolves a lab name', async () => {
    const { lab } = smallLab();
    const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
    const web = withClients(lab, new Dnsmasq(pi, 'dnsmasq'));
    const { server, client } = lanNamespaces(pi.interfaceName!);
    ip('-n', server, 'addr', 'add', '10.0.0.2/24', 'dev', pi.interfaceName!);
    await startDnsmasqIn(server, generatedConf(lab, pi));

    expect(dhcpLease(client)).toEqual({ ip: CLIENT_ADDRESS, router: '10.0.0.1', dns: '10.0.0.2' });
    ip('-n', client, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'eth0');
    expect(resolveIn(client, '10.0.0.2', web.fqdn)).toEqual(['10.0.0.10']);
  });

  /** A Proxmox host serving DHCP and DNS, its address on vmbr0 over its NIC eno1. */
  async function proxmoxAnchor(conf?: (generated: string) => string) {
    const { lab } = smallLab();
    const pve = new Host(lab, 'pve', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'eno1' }), ipAddress: '10.0.0.2', macAddress: 'a8:a1:59:00:00:02', addressing: Addressing.STATIC });
    new ProxmoxHost(pve, 'proxmox');
    const dnsmasq = new Dnsmasq(pve, 'dnsmasq');
    const web = withClients(lab, dnsmasq);
    const { server, client } = lanNamespaces('eno1');
    ip('-n', server, 'link', 'add', 'vmbr0', 'type', 'bridge');
    ip('-n', server, 'link', 'set', 'eno1', 'master', 'vmbr0');
    ip('-n', server, 'link', 'set', 'vmbr0', 'up');
    ip('-n', server, 'addr', 'add', '10.0.0.2/24', 'dev', 'vmbr0');
    const generated = generatedConf(lab, pve);
    await startDnsmasqIn(server, conf ? conf(generated) : generated);
    return { dnsmasq, web, client, generated };
  }

  it('on a Proxmox bridge: dnsmasq serves vmbr0, where the address is, and the client gets its lease and resolves', async () => {
    const { dnsmasq, web, client, generated } = await proxmoxAnchor();
    expect(dnsmasq.interfaceName).toBe('vmbr0');
    expect(generated).toMatch(/^interface=vmbr0$/m);
    expect(dhcpLease(client)).toEqual({ ip: CLIENT_ADDRESS, router: '10.0.0.1', dns: '10.0.0.2' });
    ip('-n', client, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'eth0');
    expect(resolveIn(client, '10.0.0.2', web.fqdn)).toEqual(['10.0.0.10']);
  });

  it('why: bound to the bridge port (eno1) instead, dnsmasq offers nothing and answers no query', async () => {
    const { web, client } = await proxmoxAnchor((generated) => generated.replace(/^interface=vmbr0$/m, 'interface=eno1'));
    expect(dhcpLease(client)).toBeUndefined();
    ip('-n', client, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'eth0');
    expect(resolveIn(client, '10.0.0.2', web.fqdn)).toEqual([]);
  });

  /**
   * glibc's own resolver (getent, through NSS) in a namespace whose resolv.conf is the one a lab
   * host gets (`ip netns exec` binds /etc/netns/<ns>/resolv.conf over /etc/resolv.conf): dnsmasq
   * with the model's forwarding on 127.0.0.1, AdGuard Home not running yet (nothing on its port),
   * a fallback resolver (a second dnsmasq) on 127.0.0.2. Returns how long one uncached name took.
   */
  async function glibcLookupWhileAdGuardIsDown(resolvOptions: readonly string[]): Promise<{ ms: number; out: string }> {
    const { lab } = smallLab();
    const gw = new Host(lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
    new Dnsmasq(gw, 'dnsmasq', {
      upstreams: [new DnsUpstream({ address: '127.0.0.1', port: 5353, description: 'AdGuard Home, not running yet' }), new DnsUpstream({ address: '127.0.0.2', description: 'public resolver stand-in' })],
    });
    const dir = materialize(renderNixFlake(lab));
    const settings = evalModule(path.join(dir, 'hosts/gw/dnsmasq.nix')).services.dnsmasq.settings as Record<string, unknown>;
    const dnsOnly = Object.fromEntries(Object.entries(settings).filter(([k]) => !/^(interface|bind-dynamic|dhcp-)/.test(k)));
    const tag = netnsTag();
    const ns = addNamespace(`hl-r${tag}`, defer);
    ip('-n', ns, 'addr', 'add', '127.0.0.2/8', 'dev', 'lo');
    const etc = `/etc/netns/${ns}`;
    fs.mkdirSync(etc, { recursive: true });
    defer(() => fs.rmSync(etc, { recursive: true, force: true }));
    fs.writeFileSync(path.join(etc, 'resolv.conf'), `nameserver 127.0.0.1\n${resolvOptions.length ? `options ${resolvOptions.join(' ')}\n` : ''}`);
    await startDnsmasqIn(ns, dnsmasqConf(dnsOnly) + 'listen-address=127.0.0.1\nbind-interfaces\n');
    await startDnsmasqIn(ns, 'listen-address=127.0.0.2\nbind-interfaces\nno-resolv\nno-hosts\naddress=/example.org/10.99.0.2\n');
    const start = Date.now();
    const r = spawnSync('ip', ['netns', 'exec', ns, 'getent', 'ahostsv4', 'slow.example.org'], { encoding: 'utf8', timeout: 30_000 });
    return { ms: Date.now() - start, out: r.stdout };
  }

  it("costs a lab host one resolver timeout of its generated resolv.conf (1 s) per uncached name while AdGuard is down, where glibc's default costs 5 s", async () => {
    const { lab } = smallLab();
    const host = vmHost(lab, 'web', '10.0.0.10');
    const options = evalModule(path.join(materialize(renderNixFlake(lab)), `hosts/${host.hostName}/configuration.nix`)).networking.resolvconf.extraOptions as string[];
    expect(options).toEqual(['timeout:1', 'attempts:3']);
    const lab1 = await glibcLookupWhileAdGuardIsDown(options);
    expect(lab1.out).toMatch(/^10\.99\.0\.2\s/);
    expect(lab1.ms).toBeGreaterThanOrEqual(950);
    expect(lab1.ms).toBeLessThan(1800);
    const glibcDefault = await glibcLookupWhileAdGuardIsDown([]);
    expect(glibcDefault.out).toMatch(/^10\.99\.0\.2\s/);
    expect(glibcDefault.ms).toBeGreaterThanOrEqual(4900);
  });
});
