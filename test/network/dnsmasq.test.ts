import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Addressing,
  Dnsmasq,
  dnsmasqServer,
  DnsUpstream,
  HardwareProfile,
  Homelab,
  Host,
  INetworkEndpoint,
  leaseSeconds,
  Network,
  renderNixFlake,
} from '../../lib/internal';
import { dnsmasqConf, dnsmasqSettings } from '../../lib/nix/renderers/network/dnsmasq';
import { ReferenceLab } from '../../apps/reference-lab';
import { materialize, smallLab, tempDir, vmHost } from '../support/labs';
import { evalModule, parseNixFiles } from '../support/nix';
import { synthesizeReferenceLab } from '../support/reference';

/** A device that registers itself on the network, as a future VM construct will. */
class PlainVm extends Construct implements INetworkEndpoint {
  public readonly endpointName: string;
  public constructor(scope: Construct, id: string, public readonly ipAddress: string, public readonly macAddress: string) {
    super(scope, id);
    this.endpointName = id;
    Network.registerEndpoint(this);
  }
}

/** A lab with a gateway host running dnsmasq, a VM, bare metal without a MAC, a printer and a plain VM. */
function mixedLab() {
  const { lab } = smallLab();
  const gw = new Host(lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
  const dnsmasq = new Dnsmasq(gw, 'dnsmasq');
  const web = vmHost(lab, 'web', '10.0.0.10');
  const nas = new Host(lab, 'nas', { hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd' }), ipAddress: '10.0.0.5' });
  const printer = dnsmasq.addLease('printer', { macAddress: '3C:2A:F4:10:20:30', ipAddress: '10.0.0.20' });
  const plain = new PlainVm(lab, 'legacy', '10.0.0.30', '02:11:22:33:44:55');
  return { lab, gw, dnsmasq, web, nas, printer, plain };
}

/** Runs the real dnsmasq's syntax check on a configuration. */
function dnsmasqTest(conf: string): { ok: boolean; output: string } {
  const file = path.join(tempDir('dnsmasq-conf-'), 'dnsmasq.conf');
  fs.writeFileSync(file, conf);
  const r = spawnSync('dnsmasq', ['--test', `--conf-file=${file}`], { encoding: 'utf8' });
  return { ok: r.status === 0, output: (r.stdout + r.stderr).trim() };
}

describe('leases and names from the model', () => {
  it('gives every network endpoint with a MAC a static lease, with nobody writing a MAC or IP twice', () => {
    const { dnsmasq, gw, web, nas, printer, plain } = mixedLab();
    const endpoints = [gw, web, printer, plain];
    expect(dnsmasq.leases.map((l) => [l.endpoint, l.macAddress, l.ipAddress, l.hostName])).toEqual(
      endpoints.map((e) => [e, e.macAddress, e.ipAddress, e.endpointName]),
    );
    expect(dnsmasq.leases.map((l) => l.endpoint)).not.toContain(nas);
    expect(printer.macAddress).toBe('3c:2a:f4:10:20:30');
  });

  it('answers a name for every endpoint, the ones without a MAC included', () => {
    const { dnsmasq, nas } = mixedLab();
    expect(dnsmasq.dnsRecords.map((r) => r.hostName)).toEqual(['gw', 'nas', 'web', 'printer', 'legacy']);
    expect(dnsmasq.dnsRecords.find((r) => r.hostName === 'nas')).toEqual({ hostName: 'nas', fqdn: 'nas.lab.example', ipAddress: nas.ipAddress });
  });

  it('makes its host the DNS server of the lab', () => {
    const { lab, gw } = mixedLab();
    expect(lab.network.dnsServers).toEqual([gw.ipAddress]);
    const withExplicit = new Homelab({ network: { cidr: '10.0.0.0/24', dnsServers: ['10.0.0.53'] } });
    const host = new Host(withExplicit, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', addressing: Addressing.STATIC });
    new Dnsmasq(host, 'dnsmasq');
    expect(withExplicit.network.dnsServers).toEqual(['10.0.0.53']);
  });

  it('reads lease times as dnsmasq does', () => {
    expect(leaseSeconds('12h')).toBe(12 * 3600);
    expect(leaseSeconds('45m')).toBe(2700);
    expect(leaseSeconds('1w')).toBe(7 * 86400);
    expect(leaseSeconds('3600')).toBe(3600);
    expect(leaseSeconds('infinite')).toBe(Infinity);
    expect(leaseSeconds('12 h')).toBeUndefined();
    expect(leaseSeconds('1y')).toBeUndefined();
  });

  it('writes upstreams as dnsmasq\'s server= takes them: the port only when it is not 53', () => {
    expect(dnsmasqServer(DnsUpstream.CLOUDFLARE)).toBe('1.1.1.1');
    expect(dnsmasqServer(new DnsUpstream({ address: '127.0.0.1', port: 5353 }))).toBe('127.0.0.1#5353');
    expect(dnsmasqServer(new DnsUpstream({ address: '2606:4700:4700::1111', port: 853 }))).toBe('2606:4700:4700::1111#853');
  });
});

describe('dnsmasq.conf as NixOS writes it', () => {
  it('sorts the options, repeats list options, writes true as a bare option and false as a comment', () => {
    expect(dnsmasqConf({ server: ['1.1.1.1', '8.8.8.8'], 'bogus-priv': true, 'no-hosts': false, 'cache-size': 1000, unset: undefined })).toBe(
      'bogus-priv\ncache-size=1000\n# setting `no-hosts` explicitly set to false\nserver=1.1.1.1\nserver=8.8.8.8\n',
    );
  });

  it('refuses values the key-value format cannot write', () => {
    expect(() => dnsmasqConf({ 'cache-size': 1.5 })).toThrow(/cache-size: 1.5 is not a string, integer or boolean/);
    expect(() => dnsmasqConf({ server: [{ address: '1.1.1.1' }] })).toThrow(/server/);
  });

  it('is refused by the real dnsmasq when it is wrong, so the checks below can fail', () => {
    const bad = dnsmasqTest('dhcp-range=not-an-address,static\n');
    expect(bad.ok).toBe(false);
    expect(bad.output).toMatch(/bad dhcp-range/);
  });

  it('passes the real dnsmasq\'s check for a lab without a dynamic range, serving static leases only', () => {
    const lab = new Homelab({ name: 'static', domain: 'home.arpa', network: { cidr: '10.1.0.0/16', gateway: '10.1.0.1' } });
    const gw = new Host(lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.1.0.2', addressing: Addressing.STATIC });
    const dnsmasq = new Dnsmasq(gw, 'dnsmasq', { leaseTime: 'infinite', authoritative: false });
    const settings = dnsmasqSettings(dnsmasq);
    expect(settings['dhcp-range']).toBe('10.1.0.0,static,255.255.0.0,infinite');
    expect(settings['dhcp-authoritative']).toBeUndefined();
    expect(dnsmasqTest(dnsmasqConf(settings))).toEqual({ ok: true, output: 'dnsmasq: syntax check OK.' });
  });
});

describe('pi-network in the reference lab', () => {
  let ref: ReferenceLab;
  let nixDir: string;
  let module: Record<string, any>;
  let settings: Record<string, any>;

  beforeAll(() => {
    ({ ref, nixDir } = synthesizeReferenceLab());
    module = evalModule(path.join(nixDir, 'hosts/pi-network/dnsmasq.nix'));
    settings = module.services.dnsmasq.settings;
  });

  it('parses with the real Nix parser and is imported by pi-network', () => {
    expect(parseNixFiles([path.join(nixDir, 'hosts/pi-network/dnsmasq.nix')])).toEqual([]);
    expect(evalModule(path.join(nixDir, 'hosts/pi-network/configuration.nix'), ref.piNetwork.packages).imports).toContain('dnsmasq.nix');
  });

  it('holds exactly the settings derived from the model', () => {
    expect(settings).toEqual(JSON.parse(JSON.stringify(dnsmasqSettings(ref.dnsmasq))));
    expect(module.services.dnsmasq).toMatchObject({ enable: true, resolveLocalQueries: false });
  });

  it('has the static leases of all five hosts, with the MAC and IP of each Host construct', () => {
    const hosts = Host.all(ref.lab);
    expect(hosts).toHaveLength(5);
    expect([...settings['dhcp-host']].sort()).toEqual(hosts.map((h) => `${h.macAddress},${h.ipAddress},${h.hostName}`).sort());
    expect(settings['dhcp-host']).toContain(`${ref.maxdata.macAddress},192.168.178.97,maxdata`);
  });

  it('hands out .50–.200 with the gateway as router and pi-network as DNS server', () => {
    expect(settings['dhcp-range']).toBe('192.168.178.50,192.168.178.200,255.255.255.0,12h');
    expect(settings['dhcp-option']).toEqual([`option:router,${ref.lab.network.gateway}`, `option:dns-server,${ref.piNetwork.ipAddress}`]);
    expect(settings['dhcp-leasefile']).toBe('/var/lib/misc/dnsmasq.leases');
    expect(module.systemd.tmpfiles.rules).toEqual(['d /var/lib/misc 0755 root root -']);
  });

  it('forwards to AdGuard on 127.0.0.1#5353 first, with public resolvers as boot-safe fallbacks in strict order', () => {
    expect(settings.server).toEqual(['127.0.0.1#5353', '1.1.1.1', '8.8.8.8']);
    expect(settings['strict-order']).toBe(true);
    expect(settings['no-resolv']).toBe(true);
    expect(settings['all-servers']).toBeUndefined();
  });

  it('answers the local domain from the model: every host, short and fully qualified', () => {
    expect(settings.domain).toBe('local');
    expect(settings.local).toBe('/local/');
    expect([...settings['host-record']].sort()).toEqual(Host.all(ref.lab).map((h) => `${h.fqdn},${h.hostName},${h.ipAddress}`).sort());
    expect(settings['no-hosts']).toBe(true);
  });

  it('opens DNS and DHCP in pi-network\'s firewall and gives it a static address with itself as nameserver', () => {
    const config = evalModule(path.join(nixDir, 'hosts/pi-network/configuration.nix'), ref.piNetwork.packages);
    expect(config.networking.firewall.allowedTCPPorts).toContain(53);
    expect(config.networking.firewall.allowedUDPPorts).toEqual(expect.arrayContaining([53, 67]));
    expect(config.networking.interfaces.end0.ipv4.addresses).toEqual([{ address: '192.168.178.10', prefixLength: 24 }]);
    expect(config.networking.defaultGateway).toBe(ref.lab.network.gateway);
    expect(config.networking.nameservers).toEqual([ref.piNetwork.ipAddress]);
    expect(settings.interface).toBe('end0');
  });

  it('makes pi-network the nameserver of the other statically addressed hosts', () => {
    const config = evalModule(path.join(nixDir, 'hosts/maxdata/configuration.nix'), ref.maxdata.packages);
    expect(config.networking.nameservers).toEqual([ref.piNetwork.ipAddress]);
  });

  it('passes the real dnsmasq\'s check, written as NixOS writes dnsmasq.conf from the evaluated settings', () => {
    expect(dnsmasqTest(dnsmasqConf(settings))).toEqual({ ok: true, output: 'dnsmasq: syntax check OK.' });
  });
});

describe('the dnsmasq module on small labs', () => {
  it('needs no tmpfiles rule when the leases file is in NixOS\'s own state folder', () => {
    const { lab } = smallLab();
    const gw = new Host(lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', addressing: Addressing.STATIC });
    new Dnsmasq(gw, 'dnsmasq', { leasesFile: '/var/lib/dnsmasq/dnsmasq.leases' });
    const dir = materialize(renderNixFlake(lab));
    const module = evalModule(path.join(dir, 'hosts/gw/dnsmasq.nix'));
    expect(module.systemd).toBeUndefined();
    expect(module.services.dnsmasq.settings['dhcp-leasefile']).toBe('/var/lib/dnsmasq/dnsmasq.leases');
  });

  it('gives a lab without dnsmasq no dnsmasq module', () => {
    const { lab } = smallLab();
    vmHost(lab, 'web', '10.0.0.10');
    expect(renderNixFlake(lab).map((f) => f.path)).not.toContain('hosts/web/dnsmasq.nix');
  });
});
