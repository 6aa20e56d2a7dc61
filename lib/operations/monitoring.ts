import { Construct, IConstruct } from 'constructs';
import { HostRole, IHostRoleHolder, markHostRoleHolder } from '../core/host-role';
import { Homelab } from '../core/homelab';
import { IPortHolder, PORT_HOLDER, PortReservation, Protocol } from '../core/ports';
import { Secret, SecretSource } from '../core/secret';
import { Annotations, displayPath, problem } from '../core/validation';
import { Host } from '../hosts/host';
import { ZfsPool } from '../storage/zfs-pool';
import { describeUnreadable } from './backup-remote';
import { physicalDisks, runsZfsHealthCheck } from '../storage/health';
import { byText } from '../core/order';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind, runIndex, runIndexPer } from '../core/kind';

/** The Grafana of a {@link Monitoring}. */
export interface GrafanaProps {
  /**
   * The port of Grafana's web UI.
   * @default 3000
   */
  readonly port?: number;
  /**
   * The admin user's name.
   * @default "admin"
   */
  readonly adminUser?: string;
  /**
   * The admin user's password: a file readable by the `grafana` user (a sops secret with
   * `owner: 'grafana'`, or a file you place). Grafana reads it with its file provider.
   */
  readonly adminPassword: Secret;
  /**
   * Grafana's secret key, which encrypts the secrets in its database (`openssl rand -hex 32`).
   * NixOS 26.05 has no default for it.
   */
  readonly secretKey: Secret;
}

/** The exporters a {@link Monitoring} runs on every watched host. */
export interface ExporterPorts {
  /**
   * The node exporter (CPU, memory, disks, systemd units, the textfile metrics of the lab's checks).
   * @default 9100
   */
  readonly node?: number;
  /**
   * The ZFS exporter, on hosts with pools.
   * @default 9134
   */
  readonly zfs?: number;
  /**
   * The smartctl exporter (disk health), on bare-metal hosts with pools.
   * @default 9633
   */
  readonly smartctl?: number;
  /**
   * The log shipper's (Grafana Alloy's) own HTTP server, on 127.0.0.1 only.
   * @default 12345
   */
  readonly logShipper?: number;
}

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /**
   * Prometheus's port. Cockpit (on a Proxmox host) also defaults to 9090: the host reports the clash.
   * @default 9090
   */
  readonly prometheusPort?: number;
  /**
   * How often Prometheus scrapes the exporters, as a Prometheus duration.
   * @default "30s"
   */
  readonly scrapeInterval?: string;
  /**
   * How long Prometheus keeps its samples, as a Prometheus duration.
   * @default "90d"
   */
  readonly retention?: string;
  /** Grafana: its port and its secrets. */
  readonly grafana: GrafanaProps;
  /**
   * Loki's HTTP port (the log shippers push there; Grafana reads there).
   * @default 3100
   */
  readonly lokiPort?: number;
  /**
   * Loki's gRPC port, on 127.0.0.1 only.
   * @default 9096
   */
  readonly lokiGrpcPort?: number;
  /**
   * How long Loki keeps the logs, as a Prometheus duration in hours or days.
   * @default "744h" (31 days)
   */
  readonly logRetention?: string;
  /**
   * Ship every watched host's journal to Loki (Grafana Alloy).
   * @default true
   */
  readonly logShipping?: boolean;
  /**
   * Watch the disks' SMART health with the smartctl exporter on bare-metal hosts with pools.
   * @default true
   */
  readonly diskHealth?: boolean;
  /**
   * The exporters' ports.
   * @default - the exporters' usual ports
   */
  readonly exporterPorts?: ExporterPorts;
  /**
   * The hosts watched.
   * @default - every Host of the lab, including hosts declared later
   */
  readonly hosts?: Host[];
}

const MONITORING = Kind.named<Monitoring>('Monitoring');

/** The smartctl exporter of a watched host. */
export interface SmartctlExporter {
  /** The exporter's port. */
  readonly port: number;
  /** The physical disks of the host's pools it watches, by path (`/dev/disk/by-id/…`). */
  readonly disks: readonly string[];
}

/** The exporters a watched host runs, with their ports. */
export interface HostExporters {
  /** The watched host. */
  readonly host: Host;
  /** The node exporter's port. */
  readonly node: number;
  /** The ZFS exporter's port, on a host with pools. */
  readonly zfs?: number;
  /** The smartctl exporter's port and the disks it watches, on bare metal with pools. */
  readonly smartctl?: SmartctlExporter;
  /** The log shipper's local port, when logs are shipped. */
  readonly logShipper?: number;
}

/**
 * The lab's monitoring, on one host: Prometheus scraping a node exporter on every host of the lab
 * (and a ZFS exporter where there are pools, a smartctl exporter where there are disks), with
 * alert rules derived from the model (hosts down, pools not ONLINE, device errors, capacity,
 * special vdev fill, failed backup/snapshot/scrub units, disk health); Grafana with Prometheus
 * and Loki as data sources and a dashboard of the lab; Loki receiving every host's journal from
 * Grafana Alloy. Every port is reserved on its host, so clashes are reported.
 *
 * ```ts
 * new Monitoring(maxdata, 'monitoring', {
 *   prometheusPort: 9091, // Cockpit has 9090
 *   grafana: { adminPassword: Secret.fromSops({ name: 'grafana-admin-password', owner: 'grafana' }),
 *              secretKey: Secret.fromSops({ name: 'grafana-secret-key', owner: 'grafana' }) },
 * });
 * ```
 */
export class Monitoring extends Construct implements IPortHolder, IHostRoleHolder {
  /** Is `x` a Monitoring (of any copy of this library)? */
  public static isMonitoring(x: unknown): x is Monitoring {
    return MONITORING.is(x);
  }

  /** The monitorings of a lab, sorted by path. */
  public static all(scope: IConstruct): Monitoring[] {
    return scope.node.root.node
      .findAll()
      .filter(Monitoring.isMonitoring)
      .sort(byText((m) => m.node.path));
  }

  /** The host that runs Prometheus, Grafana and Loki. */
  public readonly host: Host;
  /** Prometheus's port. */
  public readonly prometheusPort: number;
  /** How often Prometheus scrapes the exporters, as a Prometheus duration (`30s`). */
  public readonly scrapeInterval: string;
  /** How long Prometheus keeps its samples, as a Prometheus duration (`90d`). */
  public readonly retention: string;
  /** The port of Grafana's web UI. */
  public readonly grafanaPort: number;
  /** Grafana's admin user name. */
  public readonly grafanaAdminUser: string;
  /** The file holding Grafana's admin password, readable by the `grafana` user. */
  public readonly grafanaAdminPassword: Secret;
  /** The file holding Grafana's secret key, which encrypts the secrets in its database. */
  public readonly grafanaSecretKey: Secret;
  /** Loki's HTTP port, where the log shippers push and Grafana reads. */
  public readonly lokiPort: number;
  /** Loki's gRPC port, on 127.0.0.1 only. */
  public readonly lokiGrpcPort: number;
  /** How long Loki keeps the logs (`744h`). */
  public readonly logRetention: string;
  /** Does every watched host ship its journal to Loki (Grafana Alloy)? */
  public readonly logShipping: boolean;
  /** Are the disks' SMART health watched on bare-metal hosts with pools? */
  public readonly diskHealth: boolean;
  /** The exporters' ports, defaults applied. */
  public readonly exporterPorts: Required<ExporterPorts>;
  private readonly explicitHosts?: Host[];

  public constructor(host: Host, id: string, props: MonitoringProps) {
    super(host, claimId(host, id));
    checkProps(this, 'MonitoringProps', props);
    MONITORING.mark(this);
    markHostRoleHolder(this);
    PORT_HOLDER.mark(this);
    this.host = host;
    this.prometheusPort = props.prometheusPort ?? 9090;
    this.scrapeInterval = props.scrapeInterval ?? '30s';
    this.retention = props.retention ?? '90d';
    this.grafanaPort = props.grafana.port ?? 3000;
    this.grafanaAdminUser = props.grafana.adminUser ?? 'admin';
    this.grafanaAdminPassword = props.grafana.adminPassword;
    this.grafanaSecretKey = props.grafana.secretKey;
    this.lokiPort = props.lokiPort ?? 3100;
    this.lokiGrpcPort = props.lokiGrpcPort ?? 9096;
    this.logRetention = props.logRetention ?? '744h';
    this.logShipping = props.logShipping ?? true;
    this.diskHealth = props.diskHealth ?? true;
    this.exporterPorts = {
      node: props.exporterPorts?.node ?? 9100,
      zfs: props.exporterPorts?.zfs ?? 9134,
      smartctl: props.exporterPorts?.smartctl ?? 9633,
      logShipper: props.exporterPorts?.logShipper ?? 12345,
    };
    this.explicitHosts = props.hosts ? [...props.hosts] : undefined;

    // Prometheus answers Grafana on the same host only (no authentication of its own); Grafana
    // has its login and is the lab's window on the monitoring. Loki's port is held in portsOn:
    // it is opened to the watched hosts' log shippers alone, which are known only once the tree
    // is complete.
    host.reservePort(this, { port: this.prometheusPort, protocol: Protocol.TCP, description: 'Prometheus', openFirewall: false });
    host.reservePort(this, { port: this.grafanaPort, protocol: Protocol.TCP, description: 'Grafana' });
    host.reservePort(this, { port: this.lokiGrpcPort, protocol: Protocol.TCP, description: 'Loki gRPC (local)', openFirewall: false });
    this.node.addValidation({ validate: () => this.validateMonitoring() });
  }

  /** The hosts watched, sorted by host name. */
  public get hosts(): Host[] {
    const hosts = this.explicitHosts ?? Host.all(this.node.root);
    return [...new Set(hosts)].sort(byText((x) => x.hostName));
  }

  /** The exporters every watched host runs. */
  public get exporters(): HostExporters[] {
    // Once per validation run: the renderers ask for them per host and per rule group.
    return [...this.watched().values()];
  }

  /** The exporters a host runs for this monitoring; undefined when it is not watched. */
  public exportersOn(host: Host): HostExporters | undefined {
    return this.watched().get(host);
  }

  /**
   * The ports of the monitoring on a host (IPortHolder): on a watched host its exporters, open
   * to Prometheus's host alone (they answer anyone who asks, without authentication); on its own
   * host Loki, open to the hosts that ship their logs alone (anyone else could read every
   * journal or push fake logs).
   */
  public portsOn(scope: IConstruct): PortReservation[] {
    if (!Host.isHost(scope)) {
      return [];
    }
    const ports: PortReservation[] = [];
    if (scope === this.host) {
      const shippers = [...new Set(this.exporters.filter((e) => e.logShipper !== undefined).map((e) => e.host.ipAddress))];
      ports.push({ port: this.lokiPort, protocol: Protocol.TCP, description: 'Loki (log push from the watched hosts, queries from Grafana)', allowedFrom: shippers, openFirewall: shippers.length > 0 });
    }
    const exporters = this.watched().get(scope);
    if (!exporters) {
      return ports;
    }
    const scraper = [this.host.ipAddress];
    const tcp = (port: number, description: string): PortReservation => ({ port, protocol: Protocol.TCP, description, allowedFrom: scraper });
    ports.push(tcp(exporters.node, 'Prometheus node exporter'));
    if (exporters.zfs !== undefined) ports.push(tcp(exporters.zfs, 'Prometheus ZFS exporter'));
    if (exporters.smartctl) ports.push(tcp(exporters.smartctl.port, 'Prometheus smartctl exporter'));
    if (exporters.logShipper !== undefined) ports.push({ port: exporters.logShipper, protocol: Protocol.TCP, description: 'Grafana Alloy (local)', openFirewall: false });
    return ports;
  }

  /** Loki's push URL, as the log shippers use it. */
  public get lokiPushUrl(): string {
    return `http://${this.host.ipAddress}:${this.lokiPort}/loki/api/v1/push`;
  }

  private watched(): Map<Host, HostExporters> {
    return WATCHED(this);
  }

  private validateMonitoring(): string[] {
    const errors: string[] = [];
    const lab = Homelab.of(this);
    const all = MONITORINGS.of(this);
    if (all[0] !== this) {
      errors.push(problem(`the lab already has the monitoring ${displayPath(all[0])}`, 'declare one Monitoring per lab; it watches every host'));
    }
    for (const host of this.explicitHosts ?? []) {
      if (!Host.isHost(host) || host.node.root !== lab) {
        errors.push(problem(`the monitoring watches ${Host.isHost(host) ? displayPath(host) : String(host)}, which is not a host of this lab`, 'list only Hosts of this lab in hosts (or leave hosts out to watch them all)'));
      }
    }
    if (this.explicitHosts && !this.explicitHosts.includes(this.host)) {
      Annotations.of(this).addWarning(problem(`the monitoring does not watch its own host ${this.host.hostName}`, 'add it to hosts'), 'homelab-cdk:monitoring-skips-own-host');
    }
    for (const [name, value] of [
      ['scrapeInterval', this.scrapeInterval],
      ['retention', this.retention],
      ['logRetention', this.logRetention],
    ] as const) {
      if (!/^[1-9][0-9]*(ms|s|m|h|d|w|y)$/.test(value)) {
        errors.push(problem(`${name} "${value}" is not a Prometheus duration`, 'write a number and a unit, such as "30s", "744h" or "90d"'));
      }
    }
    if (!/^(\d+h|\d+d|\d+w)$/.test(this.logRetention) && !errors.some((e) => e.startsWith('logRetention'))) {
      errors.push(problem(`logRetention "${this.logRetention}" is shorter than Loki's 24h index period`, 'keep logs for whole hours or days, such as "744h" or "31d"'));
    }
    if (!/^[a-z_][a-z0-9_.@-]*$/i.test(this.grafanaAdminUser)) {
      errors.push(problem(`Grafana admin user "${this.grafanaAdminUser}" is not a plain name`, 'use letters, digits, ".", "_", "-" and "@"'));
    }
    for (const host of this.hosts) {
      const special = ZfsPool.onHost(host).filter((p) => p.poolHasSpecialVdev);
      if (special.length > 0 && !runsZfsHealthCheck(host)) {
        Annotations.of(this).addWarning(
          problem(
            `the special vdev fill and device errors of ${special.map((p) => p.poolName).join(', ')} on ${host.hostName} are not watched: the ZFS exporter has no per-vdev figures and the host's ZFS health check, which writes them, is off`,
            `turn the health check on (ZfsSettings healthCheck)`,
          ),
          'homelab-cdk:special-vdev-unwatched',
        );
      }
    }
    errors.push(...grafanaSecretProblems('grafana.adminPassword', this.grafanaAdminPassword));
    errors.push(...grafanaSecretProblems('grafana.secretKey', this.grafanaSecretKey));
    return errors;
  }

  /** The role it gives its host: the host of Prometheus, Grafana and Loki. */
  public hostRoles(): HostRole[] {
    return [{ host: this.host, summary: 'monitoring (Prometheus, Grafana, Loki)' }];
  }
}

/** A Grafana secret must be a file the `grafana` user can read. */
function grafanaSecretProblems(name: string, secret: Secret): string[] {
  const nonSecret = Secret.describeNonSecret(secret);
  if (nonSecret !== undefined) {
    // Never echo the value: it is the secret.
    return [problem(`${name} is ${nonSecret}, which would be copied into the world-readable Nix store`, `give a reference: Secret.fromSops({ name: '…', owner: 'grafana' }) or Secret.fromFile(path)`)];
  }
  if (secret.hostPath === undefined) {
    return [problem(`${name} is ${describeUnreadable(secret)}, which Grafana cannot read on the host`, 'use Secret.fromSops(...) or Secret.fromFile(...)')];
  }
  if (secret.source === SecretSource.SOPS && secret.sops?.owner !== 'grafana') {
    return [problem(`${name} is decrypted for ${secret.sops?.owner}, but Grafana runs as the user grafana and cannot read it`, `give the sops secret owner: 'grafana'`)];
  }
  return [];
}

/** Every Monitoring of the lab, once per validation run. */
const MONITORINGS = runIndex((root) => Monitoring.all(root));

/** The hosts each Monitoring watches, with their exporters; once per validation run. */
const WATCHED = runIndexPer((monitoring: Monitoring) => new Map(monitoring.hosts.map((host) => [host, exportersOfWatched(monitoring, host)])));

/** The exporters of a watched host: from its disks and pools, and the monitoring's settings. */
function exportersOfWatched(monitoring: Monitoring, host: Host): HostExporters {
  const disks = monitoring.diskHealth ? physicalDisks(host) : [];
  return {
    host,
    node: monitoring.exporterPorts.node,
    zfs: ZfsPool.onHost(host).length > 0 ? monitoring.exporterPorts.zfs : undefined,
    smartctl: disks.length > 0 ? { port: monitoring.exporterPorts.smartctl, disks } : undefined,
    logShipper: monitoring.logShipping ? monitoring.exporterPorts.logShipper : undefined,
  };
}
