/**
 * A DNS server that another can forward to: AdGuard Home in the cluster for the Pi's dnsmasq,
 * a public resolver, the router. The construct that listens owns the address and port; the
 * forwarder reads them, so the port is written once.
 */

/** Something that answers DNS queries at an address and port. */
export interface IDnsUpstream {
  /** The address queries go to (`127.0.0.1`, `1.1.1.1`). */
  readonly dnsAddress: string;
  /** The UDP and TCP port it answers DNS on (53 for a plain resolver, a hostPort such as 5353 for AdGuard Home). */
  readonly dnsPort: number;
  /** A few words on what it is ("AdGuard Home", "Cloudflare"). */
  readonly dnsDescription: string;
}

/** Props of {@link DnsUpstream}. */
export interface DnsUpstreamProps {
  /** The address. */
  readonly address: string;
  /**
   * The UDP and TCP port it answers DNS on.
   * @default 53
   */
  readonly port?: number;
  /**
   * What it is.
   * @default - the address
   */
  readonly description?: string;
}

/** A DNS server outside the model (a public resolver, the router). */
export class DnsUpstream implements IDnsUpstream {
  /** Cloudflare's resolver, 1.1.1.1. */
  public static readonly CLOUDFLARE = new DnsUpstream({ address: '1.1.1.1', description: 'Cloudflare' });
  /** Google's resolver, 8.8.8.8. */
  public static readonly GOOGLE = new DnsUpstream({ address: '8.8.8.8', description: 'Google' });

  public readonly dnsAddress: string;
  public readonly dnsPort: number;
  public readonly dnsDescription: string;

  public constructor(props: DnsUpstreamProps) {
    this.dnsAddress = props.address;
    this.dnsPort = props.port ?? 53;
    this.dnsDescription = props.description ?? props.address;
  }
}

/**
 * How long a host's resolver waits for the lab's DNS server before it asks again (resolv.conf's
 * `timeout:`), in seconds. While AdGuard Home is down, dnsmasq moves on to the next upstream only
 * when the client asks again (see lib/nix/renderers/network/dnsmasq.ts), so each uncached name costs one
 * such wait: 1 s here instead of glibc's 5 s.
 */
export const RESOLVER_TIMEOUT_SECONDS = 1;

/** How often a host's resolver asks before it gives up (resolv.conf's `attempts:`). */
export const RESOLVER_ATTEMPTS = 3;
