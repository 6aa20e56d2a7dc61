/**
 * AdGuard Home's initial configuration file (`AdGuardHome.yaml`), derived from the model. Only the
 * settings the model owns are written; AdGuard Home fills in its defaults for the rest and writes
 * the whole file back to its configuration volume.
 */
import { stringify } from 'yaml';
import type { AdGuardHome } from '../cluster/adguard-home';
import type { IDnsUpstream } from '../core/dns';

/** The configuration schema of AdGuard Home v0.107.x (its `configmigrate.LastSchemaVersion`). */
export const ADGUARD_HOME_SCHEMA_VERSION = 34;

/** The container port AdGuard Home answers DNS on. */
export const ADGUARD_HOME_DNS_CONTAINER_PORT = 53;

/** An upstream as `dns.upstream_dns` takes it: `1.1.1.1`, `1.1.1.1:5353`, `[2606:4700::1111]:53`. */
export function adGuardUpstream(upstream: IDnsUpstream): string {
  const address = upstream.dnsAddress.includes(':') ? `[${upstream.dnsAddress}]` : upstream.dnsAddress;
  return upstream.dnsPort === 53 && !upstream.dnsAddress.includes(':') ? address : `${address}:${upstream.dnsPort}`;
}

/** The settings of the initial `AdGuardHome.yaml`. */
export function adGuardHomeConfig(adguard: AdGuardHome): Record<string, unknown> {
  return {
    http: { address: `0.0.0.0:${adguard.webPort}` },
    dns: {
      bind_hosts: ['0.0.0.0'],
      port: ADGUARD_HOME_DNS_CONTAINER_PORT,
      upstream_dns: adguard.upstreams.map(adGuardUpstream),
      // One client (the forwarder) speaks for the whole LAN: see AdGuardHomeProps.rateLimit.
      ratelimit: adguard.rateLimit,
      allowed_clients: adguard.allowedClients,
    },
    schema_version: ADGUARD_HOME_SCHEMA_VERSION,
  };
}

/** The initial `AdGuardHome.yaml`, as text. */
export function renderAdGuardHomeConfig(adguard: AdGuardHome): string {
  return `# Initial configuration from the homelab-cdk model (${adguard.node.path}).\n` +
    '# Copied to the configuration volume on first start only; AdGuard Home owns the file after that.\n' +
    stringify(adGuardHomeConfig(adguard));
}
