/**
 * What the renderers of the flake hand the monitoring: the systemd units they create whose
 * failure is an alert, their own alert rule groups, the settings they add to a watched host's
 * exporters and the panels they add to the lab's dashboard. The renderer that creates a unit
 * registers it; the monitoring renderers render what was registered and know no storage or
 * backup construct, so a new construct gets its unit watched and its alerts written without an
 * edit to them.
 */
import type { Host } from '../hosts/host';
import type { Monitoring } from '../operations/monitoring';
import { NixAttrs } from './nix-value';

/** How urgent an alert is: `critical` pages, `warning` can wait for the next look. */
export type AlertSeverity = 'critical' | 'warning';

/** The labels of an alerting rule: its severity, and the host (pool, backup…) it is about. */
export interface AlertLabels {
  /** How urgent the alert is. */
  readonly severity: AlertSeverity;
  /** More labels (`host`, `pool`, `backup`): rules of one name differ by them, as promtool's lint wants. */
  readonly [label: string]: string;
}

/** The annotations of an alerting rule. */
export interface AlertAnnotations {
  /** One line: what is wrong. */
  readonly summary: string;
  /** What it means and where to look. */
  readonly description: string;
}

/** A Prometheus alerting rule. */
export interface AlertRule {
  /** The alert's name (`ZfsPoolNotOnline`). */
  readonly alert: string;
  /** The PromQL expression that fires it. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires; at once when unset. */
  readonly for?: string;
  /** Its severity and what it is about. */
  readonly labels: AlertLabels;
  /** Its summary and description. */
  readonly annotations: AlertAnnotations;
}

/** A group of alerting rules, as Prometheus's rule files hold them. */
export interface AlertRuleGroup {
  /** The group's name (`homelab-zfs`). */
  readonly name: string;
  /** Its rules, in order. */
  readonly rules: readonly AlertRule[];
}

/** The rules a renderer contributes to a group, for the hosts a Monitoring watches. */
export type AlertRuleSource = (monitoring: Monitoring) => readonly AlertRule[];

/** A panel of the lab's Grafana dashboard and the room it takes (Grafana's 24-column grid). */
export interface DashboardPanel {
  /** The panel's JSON model, without `id` and `gridPos` (the dashboard lays the panels out). */
  readonly panel: Readonly<Record<string, unknown>>;
  /** Its height in grid rows. */
  readonly height: number;
  /**
   * Its width in grid columns; panels fill a row left to right.
   * @default 24
   */
  readonly width?: number;
}

/** The panels a renderer contributes to the dashboard of a Monitoring. */
export type DashboardPanelSource = (monitoring: Monitoring) => readonly DashboardPanel[];

/** What a watched unit protects, which orders the units of a host in its alert. */
export enum UnitReach {
  /** It keeps the data safe on the host itself (snapshots, scrubs, VM dumps). */
  ON_HOST = 'on-host',
  /** It takes the data off the host (off-site backups and their restore tests): listed last. */
  OFF_SITE = 'off-site',
}

/** Options of {@link FlakeMonitoring.watchUnit}. */
export interface WatchUnitOptions {
  /**
   * What the unit protects.
   * @default UnitReach.ON_HOST
   */
  readonly reach?: UnitReach;
}

interface WatchedUnit {
  readonly unit: string;
  readonly reach: UnitReach;
}

/** The monitoring's part of a flake being rendered: what the renderers registered for it. */
export class FlakeMonitoring {
  private readonly units = new Map<Host, WatchedUnit[]>();
  private readonly ruleSources: Array<{ readonly group: string; readonly source: AlertRuleSource }> = [];
  private readonly exporterParts = new Map<Host, NixAttrs[]>();
  private readonly panelSources: DashboardPanelSource[] = [];

  /**
   * Watches a systemd unit the renderer creates on a host: its failure is a critical alert
   * (`DataProtectionUnitFailed`) on a watched host, and its log is on the dashboard. Units
   * that are not registered still alert, as warnings (`UnitFailed`).
   * @param unit the full unit name, suffix included (`sanoid.service`)
   */
  public watchUnit(host: Host, unit: string, options: WatchUnitOptions = {}): void {
    if (!/^[A-Za-z0-9:_.@-]+\.(service|timer|mount|socket|path)$/.test(unit)) {
      throw new Error(`watchUnit: "${unit}" is not a systemd unit name with its suffix (sanoid.service)`);
    }
    const units = this.units.get(host) ?? [];
    if (!units.some((u) => u.unit === unit)) {
      units.push({ unit, reach: options.reach ?? UnitReach.ON_HOST });
    }
    this.units.set(host, units);
  }

  /** The units watched on a host: those on the host first, then those off-site, each in the order they were registered. */
  public watchedUnits(host: Host): string[] {
    const units = this.units.get(host) ?? [];
    return [UnitReach.ON_HOST, UnitReach.OFF_SITE].flatMap((reach) => units.filter((u) => u.reach === reach).map((u) => u.unit));
  }

  /** Adds rules to an alert rule group; groups come in the order they were first named. */
  public addAlertRules(group: string, source: AlertRuleSource): void {
    this.ruleSources.push({ group, source });
  }

  /** The registered rule groups for a Monitoring, without the empty ones. */
  public alertRuleGroups(monitoring: Monitoring): AlertRuleGroup[] {
    const groups = new Map<string, AlertRule[]>();
    for (const { group, source } of this.ruleSources) {
      groups.set(group, [...(groups.get(group) ?? []), ...source(monitoring)]);
    }
    return [...groups].filter(([, rules]) => rules.length > 0).map(([name, rules]) => ({ name, rules }));
  }

  /** Adds NixOS settings to the exporters module of a host (they take effect where the host is watched). */
  public addExporterSettings(host: Host, settings: NixAttrs): void {
    this.exporterParts.set(host, [...(this.exporterParts.get(host) ?? []), settings]);
  }

  /** The settings the renderers added to a host's exporters, in the order they were added. */
  public exporterSettings(host: Host): NixAttrs[] {
    return [...(this.exporterParts.get(host) ?? [])];
  }

  /** Adds panels to the lab's dashboard, after the monitoring's own overview. */
  public addDashboardPanels(source: DashboardPanelSource): void {
    this.panelSources.push(source);
  }

  /** The registered panels for a Monitoring, in the order they were added. */
  public dashboardPanels(monitoring: Monitoring): DashboardPanel[] {
    return this.panelSources.flatMap((source) => source(monitoring));
  }
}
