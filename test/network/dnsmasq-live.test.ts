/**
 * The real dnsmasq, run on loopback with the DNS part of the configuration the model gives it
 * (read back from the generated Nix module), and stand-in upstreams on loopback ports: what it
 * answers from the model, and what its forwarding does when the first upstream (AdGuard Home)
 * answers, refuses, or is not running yet. DHCP and the interface binding are left out, so
 * nothing but 127.0.0.1 is touched.
 */
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Addressing, Dnsmasq, DnsUpstream, HardwareProfile, Host, renderNixFlake } from '../../lib/internal';
import { dnsmasqConf } from '../../lib/nix/renderers/network/dnsmasq';
import { closedUdpPort, FakeUpstream, LoopbackDnsmasq, resolverFor, startDnsmasq, startFakeUpstream } from '../support/dns';
import { materialize, smallLab, vmHost } from '../support/labs';
import { evalModule } from '../support/nix';

/** Settings that bind interfaces or serve DHCP: replaced by loopback-only options in these tests. */
const NOT_ON_LOOPBACK = ['interface', 'bind-dynamic', 'dhcp-range', 'dhcp-host', 'dhcp-option', 'dhcp-authoritative', 'dhcp-leasefile'];

/**
 * A lab (domain lab.example) whose dnsmasq forwards to AdGuard on `adguardPort` and falls back
 * to `fallbackPort`, both on 127.0.0.1; returns the DNS part of its generated dnsmasq.conf.
 */
function labConf(adguardPort: number, fallbackPort: number): { conf: string; web: Host; gw: Host } {
  const { lab } = smallLab();
  const gw = new Host(lab, 'gw', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.2', macAddress: 'dc:a6:32:00:00:02', addressing: Addressing.STATIC });
  const dnsmasq = new Dnsmasq(gw, 'dnsmasq', {
    upstreams: [
      new DnsUpstream({ address: '127.0.0.1', port: adguardPort, description: 'AdGuard Home stand-in' }),
      new DnsUpstream({ address: '127.0.0.1', port: fallbackPort, description: 'public resolver stand-in' }),
    ],
  });
  const web = vmHost(lab, 'web', '10.0.0.10');
  dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.20' });
  const dir = materialize(renderNixFlake(lab));
  const settings = evalModule(path.join(dir, 'hosts/gw/dnsmasq.nix')).services.dnsmasq.settings as Record<string, unknown>;
  const dnsPart = Object.fromEntries(Object.entries(settings).filter(([key]) => !NOT_ON_LOOPBACK.includes(key)));
  return { conf: dnsmasqConf(dnsPart), web, gw };
}

const ADGUARD_ANSWER = '10.99.0.1';
const FALLBACK_ANSWER = '10.99.0.2';
/** The stand-in client's timeout before it asks again (a real resolver waits 1–5 s). */
const CLIENT_TIMEOUT_MS = 400;

const running: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    await ('stop' in r ? r.stop() : r.close());
  }
});

async function upstream(behaviour: Parameters<typeof startFakeUpstream>[0]): Promise<FakeUpstream> {
  const u = await startFakeUpstream(behaviour);
  running.push(u);
  return u;
}

async function dnsmasq(conf: string): Promise<LoopbackDnsmasq> {
  const d = await startDnsmasq(conf);
  running.push(d);
  return d;
}

/** Resolves a name through dnsmasq and says how long it took. */
async function timedResolve(server: LoopbackDnsmasq, name: string): Promise<{ addresses: string[]; ms: number }> {
  const start = Date.now();
  const addresses = await resolverFor(server.port, CLIENT_TIMEOUT_MS).resolve4(name);
  return { addresses, ms: Date.now() - start };
}

describe('dnsmasq on loopback with the model\'s configuration', () => {
  it('answers the lab\'s names from the model, short, qualified and reverse, without asking upstream', async () => {
    const adguard = await upstream({ answer: ADGUARD_ANSWER });
    const fallback = await upstream({ answer: FALLBACK_ANSWER });
    const { conf, web, gw } = labConf(adguard.port, fallback.port);
    const server = await dnsmasq(conf);
    const resolver = resolverFor(server.port, CLIENT_TIMEOUT_MS);

    expect(await resolver.resolve4(web.fqdn)).toEqual([web.ipAddress]);
    expect(await resolver.resolve4('printer.lab.example')).toEqual(['10.0.0.20']);
    expect(await resolver.resolve4('gw')).toEqual([gw.ipAddress]);
    expect(await resolver.reverse(web.ipAddress)).toEqual([web.fqdn]);
    await expect(resolver.resolve4('nothing.lab.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.reverse('10.0.0.77')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect([...adguard.queries, ...fallback.queries]).toEqual([]);
  });

  it('forwards other names to AdGuard, and never to the fallback while AdGuard answers', async () => {
    const adguard = await upstream({ answer: ADGUARD_ANSWER });
    const fallback = await upstream({ answer: FALLBACK_ANSWER });
    const server = await dnsmasq(labConf(adguard.port, fallback.port).conf);
    for (const name of ['ads.example.com', 'example.org', 'nixos.org']) {
      expect((await timedResolve(server, name)).addresses).toEqual([ADGUARD_ANSWER]);
    }
    expect(adguard.queries).toEqual(['ads.example.com', 'example.org', 'nixos.org']);
    expect(fallback.queries).toEqual([]);
  });

  it('keeps DNS answering through the fallback while AdGuard is not running yet, after the client\'s retry', async () => {
    const notYetRunning = await closedUdpPort();
    const fallback = await upstream({ answer: FALLBACK_ANSWER });
    const server = await dnsmasq(labConf(notYetRunning, fallback.port).conf);
    const first = await timedResolve(server, 'example.org');
    expect(first.addresses).toEqual([FALLBACK_ANSWER]);
    // dnsmasq never sees the refused port (ICMP on an unconnected UDP socket): it moves on when
    // the client asks again, so the first lookup costs one client timeout.
    expect(first.ms).toBeGreaterThanOrEqual(CLIENT_TIMEOUT_MS - 50);
    expect(server.log()).toMatch(/forwarded example\.org to 127\.0\.0\.1#\d+\n[\s\S]*forwarded example\.org to 127\.0\.0\.1#\d+/);
    // Answers are cached: the same name again is immediate.
    expect((await timedResolve(server, 'example.org')).ms).toBeLessThan(CLIENT_TIMEOUT_MS);
    expect(fallback.queries).toEqual(['example.org']);
  });

  it('keeps DNS answering through the fallback while AdGuard is silent', async () => {
    const silent = await upstream('silent');
    const fallback = await upstream({ answer: FALLBACK_ANSWER });
    const server = await dnsmasq(labConf(silent.port, fallback.port).conf);
    expect((await timedResolve(server, 'example.net')).addresses).toEqual([FALLBACK_ANSWER]);
    expect(silent.queries).toContain('example.net');
  });

  it('asks the fallback at once when AdGuard refuses or fails a query', async () => {
    for (const rcode of ['REFUSED', 'SERVFAIL'] as const) {
      const failing = await upstream({ rcode });
      const fallback = await upstream({ answer: FALLBACK_ANSWER });
      const server = await dnsmasq(labConf(failing.port, fallback.port).conf);
      const r = await timedResolve(server, `${rcode.toLowerCase()}.example.com`);
      expect(r.addresses, rcode).toEqual([FALLBACK_ANSWER]);
      expect(r.ms, rcode).toBeLessThan(CLIENT_TIMEOUT_MS);
      expect(failing.queries, rcode).toEqual([`${rcode.toLowerCase()}.example.com`]);
    }
  });

  it('does not forward plain names, so they never reach AdGuard or the fallback', async () => {
    const adguard = await upstream({ answer: ADGUARD_ANSWER });
    const fallback = await upstream({ answer: FALLBACK_ANSWER });
    const server = await dnsmasq(labConf(adguard.port, fallback.port).conf);
    await expect(resolverFor(server.port, CLIENT_TIMEOUT_MS).resolve4('printer-old')).rejects.toBeTruthy();
    expect([...adguard.queries, ...fallback.queries]).toEqual([]);
  });
});
