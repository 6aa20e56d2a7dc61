import { describe, expect, it } from 'vitest';
import {
  Addressing,
  Dnsmasq,
  DnsmasqProps,
  DnsUpstream,
  HardwareProfile,
  Homelab,
  HomelabProps,
  Host,
  Protocol,
  synthesize,
  validateLab,
  ValidationError,
} from '../../lib';
import { smallLab, tempDir, vmHost } from '../support/labs';

/** The error messages of a lab, as `path: message` lines. */
function errorsOf(lab: Homelab): string[] {
  return validateLab(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

function warningsOf(lab: Homelab): string[] {
  return validateLab(lab).warnings.map((f) => `${f.path}: ${f.message}`);
}

/** The errors with which synthesis refuses a lab (and writes nothing). */
function synthesisErrors(lab: Homelab): string[] {
  try {
    synthesize(lab, { outdir: tempDir() });
  } catch (e) {
    if (e instanceof ValidationError) {
      return e.report.errors.map((f) => `${f.path}: ${f.message}`);
    }
    throw e;
  }
  return [];
}

/** A small lab (10.0.0.0/24, dynamic range .100–.199) with a DHCP/DNS gateway host at .2. */
function labWithDnsmasq(props: Partial<HomelabProps> = {}, dnsmasqProps: DnsmasqProps = {}): { lab: Homelab; gw: Host; dnsmasq: Dnsmasq } {
  const { lab } = smallLab(props);
  const gw = new Host(lab, 'gw', {
    hardware: HardwareProfile.raspberryPi4(),
    ipAddress: '10.0.0.2',
    macAddress: 'dc:a6:32:00:00:02',
    addressing: Addressing.STATIC,
  });
  return { lab, gw, dnsmasq: new Dnsmasq(gw, 'dnsmasq', dnsmasqProps) };
}

describe('a lab with dnsmasq', () => {
  it('has no errors and no warnings', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    vmHost(lab, 'web', '10.0.0.10');
    dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.20' });
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([]);
  });
});

describe('leases', () => {
  it('refuses a lease inside the dynamic range, unless the lab allows static addresses there', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.150' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq/printer: static IP address 10.0.0.150 is inside the dynamic DHCP range 10.0.0.100–10.0.0.199. Fix: choose an address outside the range or shrink the range (or, with a DHCP server that reserves leased addresses such as dnsmasq, set allowStaticAddressesInDhcpRange).',
    ]);

    const allowing = labWithDnsmasq({
      network: { cidr: '10.0.0.0/24', gateway: '10.0.0.1', dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' }, allowStaticAddressesInDhcpRange: true },
    });
    allowing.dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.150' });
    expect(errorsOf(allowing.lab)).toEqual([]);
  });

  it('refuses a lease outside the network', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    dnsmasq.addLease('phone', { macAddress: '3c:2a:f4:10:20:31', ipAddress: '10.0.1.20' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq/phone: IP address 10.0.1.20 is outside the usable addresses of the network 10.0.0.0/24. Fix: give it an address inside 10.0.0.0/24.',
    ]);
  });

  it('refuses a lease with the MAC address of a host, naming the host', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    dnsmasq.addLease('printer', { macAddress: 'DC:A6:32:00:00:02', ipAddress: '10.0.0.20' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq/printer: MAC address dc:a6:32:00:00:02 is already used by testlab/gw. Fix: give each device its own MAC address (or leave it out on a VM to have one derived).',
    ]);
  });

  it('refuses two leases with one IP address, and two with one host name', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.20' });
    dnsmasq.addLease('scanner', { macAddress: '3c:2a:f4:10:20:31', ipAddress: '10.0.0.20' });
    dnsmasq.addLease('phone', { macAddress: '3c:2a:f4:10:20:32', ipAddress: '10.0.0.21', hostName: 'printer' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq/phone: host name printer is already used by testlab/gw/dnsmasq/printer. Fix: give each device its own name.',
      'testlab/gw/dnsmasq/scanner: IP address 10.0.0.20 is already used by testlab/gw/dnsmasq/printer. Fix: give each device its own address.',
    ]);
  });

  it('refuses a malformed MAC and a host name that is not one', () => {
    const { lab, dnsmasq } = labWithDnsmasq();
    dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20', ipAddress: '10.0.0.20' });
    dnsmasq.addLease('tv', { macAddress: '3c:2a:f4:10:20:33', ipAddress: '10.0.0.21', hostName: '../tv' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq/printer: MAC address "3c:2a:f4:10:20" is malformed. Fix: write six pairs of hex digits separated by ":" (aa:bb:cc:dd:ee:ff).',
      'testlab/gw/dnsmasq/tv: host name "../tv" is not a valid host name. Fix: use lower-case letters, digits and "-", at most 63 characters, not starting or ending with "-".',
    ]);
  });
});

describe('the dynamic range', () => {
  it('refuses a range outside the network', () => {
    const { lab } = labWithDnsmasq({ network: { cidr: '10.0.0.0/24', gateway: '10.0.0.1', dhcpRange: { start: '10.0.0.100', end: '10.0.1.50' } } });
    expect(errorsOf(lab)).toEqual([
      'testlab/network: DHCP range end 10.0.1.50 is not a usable address of 10.0.0.0/24. Fix: choose a dhcpRange inside 10.0.0.0/24.',
    ]);
  });

  it('refuses a range that contains the gateway', () => {
    const { lab } = labWithDnsmasq({ network: { cidr: '10.0.0.0/24', gateway: '10.0.0.120', dhcpRange: { start: '10.0.0.100', end: '10.0.0.199' } } });
    expect(errorsOf(lab)).toEqual([
      'testlab/network: the DHCP range 10.0.0.100–10.0.0.199 contains the gateway 10.0.0.120. Fix: move the range so that it excludes the gateway.',
    ]);
  });
});

describe('ports', () => {
  it('refuses a second DNS server on the dnsmasq host, naming both', () => {
    const { lab, gw } = labWithDnsmasq();
    gw.reservePort(lab, { port: 53, protocol: Protocol.UDP, description: 'AdGuard Home DNS' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw: port 53/udp is used by both testlab/gw/dnsmasq (dnsmasq DNS) and testlab (AdGuard Home DNS). Fix: move one of them to another port.',
    ]);
  });

  it('refuses Cockpit and Prometheus both on 9090, as the reference lab would have them', () => {
    const { lab, gw } = labWithDnsmasq();
    gw.reservePort(gw, { port: 9090, protocol: Protocol.TCP, description: 'Cockpit' });
    gw.reservePort(lab, { port: 9090, protocol: Protocol.TCP, description: 'Prometheus' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw: port 9090/tcp is used by both testlab/gw (Cockpit) and testlab (Prometheus). Fix: move one of them to another port.',
    ]);
  });
});

describe('synthesis', () => {
  it('fails on a port clash, a lease in the dynamic range and a duplicate MAC, each with a clear message', () => {
    const clash = labWithDnsmasq();
    clash.gw.reservePort(clash.lab, { port: 67, protocol: Protocol.UDP, description: 'another DHCP server' });
    expect(synthesisErrors(clash.lab)).toEqual([
      'testlab/gw: port 67/udp is used by both testlab/gw/dnsmasq (dnsmasq DHCP) and testlab (another DHCP server). Fix: move one of them to another port.',
    ]);

    const inRange = labWithDnsmasq();
    inRange.dnsmasq.addLease('printer', { macAddress: '3c:2a:f4:10:20:30', ipAddress: '10.0.0.100' });
    expect(synthesisErrors(inRange.lab)).toEqual([
      expect.stringMatching(/^testlab\/gw\/dnsmasq\/printer: static IP address 10\.0\.0\.100 is inside the dynamic DHCP range 10\.0\.0\.100–10\.0\.0\.199\. Fix: /),
    ]);

    const sameMac = labWithDnsmasq();
    vmHost(sameMac.lab, 'web', '10.0.0.10', { macAddress: '02:00:00:00:00:10' });
    sameMac.dnsmasq.addLease('printer', { macAddress: '02:00:00:00:00:10', ipAddress: '10.0.0.20' });
    expect(synthesisErrors(sameMac.lab)).toEqual([
      expect.stringMatching(/^testlab\/gw\/dnsmasq\/printer: MAC address 02:00:00:00:00:10 is already used by testlab\/web\. Fix: /),
    ]);
  });
});

describe('dnsmasq settings', () => {
  it('refuses a DHCP server whose own address comes from DHCP', () => {
    const { lab } = smallLab();
    const host = vmHost(lab, 'gw', '10.0.0.2');
    new Dnsmasq(host, 'dnsmasq');
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq: the DHCP server\'s host gw gets its own address by DHCP. Fix: set addressing: Addressing.STATIC on the host.',
    ]);
  });

  it('refuses a second Dnsmasq in the lab, naming the first', () => {
    const { lab } = labWithDnsmasq();
    const other = vmHost(lab, 'other', '10.0.0.3', { addressing: Addressing.STATIC });
    new Dnsmasq(other, 'dnsmasq');
    expect(errorsOf(lab)).toEqual([
      'testlab/other/dnsmasq: the lab already has a DHCP server, testlab/gw/dnsmasq; two on one network hand out conflicting leases. Fix: keep one Dnsmasq per lab.',
    ]);
  });

  it('refuses malformed and too short lease times, and a leases file outside a plain absolute path', () => {
    const { lab } = labWithDnsmasq({}, { leaseTime: '12 hours', leasesFile: '/var/lib/../etc/leases' });
    const other = labWithDnsmasq({}, { leaseTime: '90s' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq: lease time "12 hours" is not a dnsmasq lease time. Fix: write seconds or a number with m, h, d or w (e.g. "12h"), or "infinite".',
      'testlab/gw/dnsmasq: leases file "/var/lib/../etc/leases" is not an absolute path of plain segments. Fix: give a path such as "/var/lib/misc/dnsmasq.leases".',
    ]);
    expect(errorsOf(other.lab)).toEqual([
      'testlab/gw/dnsmasq: lease time "90s" is shorter than the two minutes dnsmasq accepts. Fix: use at least "2m".',
    ]);
  });

  it('refuses a leases file in /tmp, whose folder rule would take away /tmp\'s sticky bit at every boot', () => {
    const { lab } = labWithDnsmasq({}, { leasesFile: '/tmp/dnsmasq.leases' });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq: the leases file /tmp/dnsmasq.leases is in /tmp, a folder the system shares; the rule that creates the leases folder would set its mode to 0755 root:root at every boot. Fix: put the leases file in a folder of its own, such as "/var/lib/dnsmasq/dnsmasq.leases" (NixOS\'s dnsmasq module creates that folder itself).',
    ]);
  });

  it.each(['/dnsmasq.leases', '/var/dnsmasq.leases', '/var/lib/dnsmasq.leases', '/run/dnsmasq.leases', '/etc/dnsmasq.leases', '/home/max/dnsmasq.leases', '/usr/share/dnsmasq.leases', '/tmp/dnsmasq/leases', '/var/tmp/leases'])(
    'refuses a leases file in the shared folder of %s',
    (leasesFile) => {
      const { lab } = labWithDnsmasq({}, { leasesFile });
      expect(errorsOf(lab)).toEqual([expect.stringMatching(/a folder the system shares.* Fix: put the leases file in a folder of its own/)]);
    },
  );

  it.each(['/var/lib/dnsmasq/dnsmasq.leases', '/var/lib/misc/dnsmasq.leases', '/run/dnsmasq/leases', '/persist/dnsmasq/dnsmasq.leases'])('accepts a leases file in a folder of its own: %s', (leasesFile) => {
    const { lab } = labWithDnsmasq({}, { leasesFile });
    expect(errorsOf(lab)).toEqual([]);
  });

  it('refuses an upstream that is dnsmasq itself, one that is not an address, and one listed twice', () => {
    const { lab } = labWithDnsmasq({}, {
      upstreams: [
        new DnsUpstream({ address: '10.0.0.2', description: 'myself' }),
        new DnsUpstream({ address: 'dns.example', description: 'a name' }),
        DnsUpstream.CLOUDFLARE,
        DnsUpstream.CLOUDFLARE,
      ],
    });
    expect(errorsOf(lab)).toEqual([
      'testlab/gw/dnsmasq: upstream "dns.example" (a name) is not an IP address. Fix: give the DNS server\'s IPv4 or IPv6 address.',
      'testlab/gw/dnsmasq: upstream 1.1.1.1 is listed twice. Fix: list each upstream once.',
      'testlab/gw/dnsmasq: upstream 10.0.0.2 (myself) is dnsmasq itself, a forwarding loop. Fix: forward to another server, or to a local one on another port (AdGuard Home on 5353).',
    ]);
  });

  it('warns when every upstream runs on the dnsmasq host, so DNS dies at boot', () => {
    const { lab } = labWithDnsmasq({}, { upstreams: [new DnsUpstream({ address: '127.0.0.1', port: 5353, description: 'AdGuard Home' })] });
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([
      'testlab/gw/dnsmasq: every upstream runs on gw itself (127.0.0.1#5353); while it is down (at boot, before the cluster has started it) the lab has no DNS. Fix: add a fallback after it, such as DnsUpstream.CLOUDFLARE. [homelab-cdk:dns-without-fallback]',
    ]);
  });

  it('warns, and does not refuse, a domain under .local', () => {
    const { lab } = labWithDnsmasq({ domain: 'local' });
    expect(errorsOf(lab)).toEqual([]);
    expect(warningsOf(lab)).toEqual([
      expect.stringMatching(/^testlab\/gw\/dnsmasq: the domain "local" is also mDNS's \(RFC 6762\).*Fix: use "home\.arpa" \(RFC 8375\)/),
    ]);
  });
});
