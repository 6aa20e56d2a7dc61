/**
 * The lab's DHCP and DNS server: `hosts/<host>/dnsmasq.nix` on the host of each Dnsmasq, with
 * `services.dnsmasq.settings` derived from the model. {@link dnsmasqConf} writes the same settings
 * as NixOS's module writes them to dnsmasq.conf, so the real dnsmasq can check them.
 */
import * as path from 'node:path';
import { parseIpv4Cidr } from '../../../core/addressing';
import { Homelab } from '../../../core/homelab';
import { Dnsmasq, dnsmasqServer, StaticLease } from '../../../network/dnsmasq';
import { generatedHeader, NixFlake, renderNixModule } from '../../nix-flake';
import { NixAttrs } from '../../nix-value';

/** A value of a dnsmasq setting, as NixOS's key-value format takes it. */
export type DnsmasqValue = string | number | boolean;

/**
 * dnsmasq settings: option names (without `--`) to values; a list repeats the option, and an
 * undefined value leaves it out.
 */
export type DnsmasqSettings = Readonly<Record<string, DnsmasqValue | readonly DnsmasqValue[] | undefined>>;

/** Where NixOS's dnsmasq module keeps its state; it creates this folder itself. */
const NIXOS_STATE_DIR = '/var/lib/dnsmasq';

/** Adds each Dnsmasq's module to its host. */
export function renderDnsmasq(lab: Homelab, flake: NixFlake): void {
  for (const dnsmasq of Dnsmasq.all(lab)) {
    // The leases once: they are every endpoint of the network, derived anew on each read (issue 17).
    const leases = dnsmasq.leases;
    flake.addHostModule(
      dnsmasq.host,
      'dnsmasq',
      renderNixModule({
        header: generatedHeader(lab, dnsmasq.node.path),
        notes: [dnsmasqSummary(dnsmasq, leases)],
        settings: dnsmasqModule(dnsmasq, leases),
      }),
    );
  }
}

/**
 * The NixOS settings of one Dnsmasq's module.
 * @param leases its static leases, when the caller has them already
 */
export function dnsmasqModule(dnsmasq: Dnsmasq, leases: readonly StaticLease[] = dnsmasq.leases): NixAttrs {
  const leasesDir = path.posix.dirname(dnsmasq.leasesFile);
  return {
    services: {
      dnsmasq: {
        enable: true,
        // The host resolves through its own address like every other host (Network.dnsServers),
        // and dnsmasq's upstreams are the model's alone: no 127.0.0.1 in resolv.conf and no
        // resolvconf-fed upstream file, which could point dnsmasq back at itself.
        resolveLocalQueries: false,
        settings: dnsmasqSettings(dnsmasq, leases),
      },
    },
    // NixOS creates only its own state folder; dnsmasq opens the leases file as root at start.
    systemd: leasesDir === NIXOS_STATE_DIR ? undefined : { tmpfiles: { rules: [`d ${leasesDir} 0755 root root -`] } },
  };
}

/**
 * The dnsmasq settings of a Dnsmasq, from the model.
 * @param leases its static leases, when the caller has them already
 */
export function dnsmasqSettings(dnsmasq: Dnsmasq, leases: readonly StaticLease[] = dnsmasq.leases): DnsmasqSettings {
  const network = dnsmasq.network;
  const range = network.dhcpRange;
  const pool = range
    ? `${range.start},${range.end},${network.netmask},${dnsmasq.leaseTime}`
    : `${parseIpv4Cidr(network.cidr).network},static,${network.netmask},${dnsmasq.leaseTime}`;
  return {
    // Serve the lab's interface (dnsmasq adds loopback itself), binding its addresses as they
    // appear, so dnsmasq may start before the interface is configured.
    interface: dnsmasq.interfaceName!,
    'bind-dynamic': true,

    // DNS: the lab's names come from the model (every network endpoint, with its PTR record)
    // and never leave dnsmasq; /etc/hosts is not read (NixOS maps the host's own name to
    // 127.0.0.2 there, which clients must not get); plain names and private reverse lookups
    // are not forwarded.
    domain: dnsmasq.domain,
    local: `/${dnsmasq.domain}/`,
    'host-record': dnsmasq.dnsRecords.map((r) => `${r.fqdn},${r.hostName},${r.ipAddress}`),
    'no-hosts': true,
    'domain-needed': true,
    'bogus-priv': true,

    // Boot-safe forwarding. The first upstream (AdGuard Home in the reference lab) runs in the
    // cluster, which starts after this host: at boot, and whenever its pod is down, it does not
    // answer. `strict-order` makes dnsmasq ask the upstreams in the model's order, starting with
    // the first for every query: the filter sees every query while it is up, and the fallbacks
    // are asked only when it fails. Without it dnsmasq favours whichever server answered
    // fastest, so queries would regularly bypass the filter (`all-servers` would race them all).
    // What "fails" means, as the real dnsmasq shows (test/network/dnsmasq-live.test.ts): a
    // REFUSED or SERVFAIL answer goes to the next server at once; a server that is not listening
    // is a timeout like one that is silent (dnsmasq's unconnected UDP socket never sees the ICMP
    // port-unreachable), and dnsmasq forwards the client's retry to the next server
    // (`fast-dns-retry` would only re-send to the same one in strict order). So while AdGuard
    // is down every uncached name costs the client one timeout (1-5 s) and then resolves, and
    // the lab's own names are unaffected. A watcher that rewrites a servers-file would fail over
    // faster, but adds a moving part that can itself break DNS.
    'strict-order': true,
    'no-resolv': true,
    server: dnsmasq.upstreams.map(dnsmasqServer),

    // DHCP: the Network's pool, router and DNS servers, and a static lease for every endpoint
    // with a MAC (dnsmasq never hands out an address it holds a static lease for, even inside
    // the pool).
    'dhcp-range': pool,
    'dhcp-option': [`option:router,${network.gateway}`, `option:dns-server,${network.dnsServers.join(',')}`],
    'dhcp-host': leases.map((l) => `${l.macAddress},${l.ipAddress},${l.hostName}`),
    'dhcp-authoritative': dnsmasq.authoritative ? true : undefined,
    'dhcp-leasefile': dnsmasq.leasesFile,
  };
}

/**
 * dnsmasq.conf as NixOS's dnsmasq module writes it from `services.dnsmasq.settings`
 * (`pkgs.formats.keyValue` with `listsAsDuplicateKeys`): options sorted by name, one line per
 * list element, `true` as the bare option name, `false` as a comment. Undefined values are left
 * out, as the serializer leaves them out of the Nix file.
 */
export function dnsmasqConf(settings: Readonly<Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const key of Object.keys(settings).sort()) {
    const value = settings[key];
    if (value === undefined) {
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      lines.push(dnsmasqLine(key, item));
    }
  }
  return lines.map((line) => line + '\n').join('');
}

function dnsmasqLine(key: string, value: unknown): string {
  if (value === true) {
    return key;
  }
  if (value === false) {
    return `# setting \`${key}\` explicitly set to false`;
  }
  if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) {
    return `${key.replace(/=/g, '\\=')}=${value}`;
  }
  throw new Error(`dnsmasq setting ${key}: ${JSON.stringify(value)} is not a string, integer or boolean`);
}

/** The comment at the top of the module: what dnsmasq serves, and the upstreams in order. */
function dnsmasqSummary(dnsmasq: Dnsmasq, leases: readonly StaticLease[]): string {
  const network = dnsmasq.network;
  const range = network.dhcpRange;
  const pool = range ? `dynamic ${range.start}–${range.end}` : 'no dynamic range';
  return [
    `dnsmasq on ${dnsmasq.host.hostName}: DHCP for ${network.cidr} (${pool}, ${leases.length} static leases), DNS for "${dnsmasq.domain}".`,
    'Upstreams, asked strictly in this order (the next only when the one before fails):',
    ...dnsmasq.upstreams.map((u, i) => `  ${i + 1}. ${dnsmasqServer(u)}: ${u.dnsDescription}`),
  ].join('\n');
}
