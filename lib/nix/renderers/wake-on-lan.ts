/**
 * Wake-on-LAN: `scripts/wake-on-lan.sh`, and on each sending host `hosts/<host>/wake-on-lan.nix`
 * with a systemd service and timer per WakeOnLan; on each target
 * `hosts/<target>/wake-on-lan-nic.nix`, which enables Wake-on-LAN on its NIC.
 */
import { Homelab } from '../../core/homelab';
import { Host } from '../../hosts/host';
import { CHECK_TIMEOUT_SECONDS, MAGIC_PACKET_PORT, WakeOnLan, wakeRunSeconds } from '../../network/wake-on-lan';
import { generatedHeader, NixFlake, renderSettingsModule } from '../nix-flake';
import { NixAttrs, NixExpr } from '../nix-value';
import { renderTemplate } from '../templates';
import { byText } from '../../core/order';

/** Extra seconds the service may take beyond the longest run (for the packets themselves). */
const START_TIMEOUT_MARGIN_SECONDS = 60;

/** Adds the script, the services and timers of the senders, and the NIC setting of the targets. */
export function renderWakeOnLan(lab: Homelab, flake: NixFlake): void {
  const wakes = lab.node
    .findAll()
    .filter(WakeOnLan.isWakeOnLan)
    .sort(byText((x) => x.node.path));
  if (wakes.length === 0) {
    return;
  }
  flake.addFile('scripts/wake-on-lan.sh', renderTemplate('network/wake-on-lan.sh.hbs', { header: generatedHeader(lab) }), { executable: true });
  for (const host of Host.all(lab)) {
    const sent = wakes.filter((w) => w.host === host);
    if (sent.length > 0) {
      flake.addHostModule(host, 'wake-on-lan', renderSettingsModule(lab, `${host.node.path} (Wake-on-LAN senders)`, wakeOnLanSenderSettings(sent)));
    }
    if (wakes.some((w) => w.target === host)) {
      flake.addHostModule(host, 'wake-on-lan-nic', renderSettingsModule(lab, `${host.node.path} (Wake-on-LAN target)`, wakeOnLanTargetSettings(host)));
    }
  }
}

/** The systemd services and timers of the WakeOnLans of one sending host. */
export function wakeOnLanSenderSettings(wakes: readonly WakeOnLan[]): NixAttrs {
  const services: Record<string, NixAttrs> = {};
  const timers: Record<string, NixAttrs> = {};
  for (const wake of wakes) {
    const target = wake.target;
    services[wake.serviceName] = {
      description: `Wake ${target.hostName} (${target.macAddress}) by Wake-on-LAN until it answers on ${wake.check}`,
      wants: ['network-online.target'],
      after: ['network-online.target'],
      wantedBy: ['multi-user.target'],
      path: [
        NixExpr.call('pkgs.writeShellScriptBin', 'homelab-wake-on-lan', NixExpr.call('builtins.readFile', NixExpr.path('../../scripts/wake-on-lan.sh'))),
        NixExpr.ref('pkgs.wakeonlan'),
        NixExpr.ref('pkgs.iputils'),
      ],
      environment: {
        WOL_TARGET: target.hostName,
        WOL_MAC: target.macAddress!,
        WOL_ADDRESS: target.ipAddress,
        WOL_BROADCAST: wake.broadcastAddress,
        WOL_PORT: String(MAGIC_PACKET_PORT),
        WOL_CHECK: wake.check.spec,
        WOL_CHECK_TIMEOUT: String(CHECK_TIMEOUT_SECONDS),
        WOL_DELAYS: wake.delays.join(' '),
      },
      script: 'exec homelab-wake-on-lan',
      serviceConfig: {
        Type: 'oneshot',
        TimeoutStartSec: wakeRunSeconds(wake) + START_TIMEOUT_MARGIN_SECONDS,
        // No root needed: magic packets are UDP broadcasts; ping needs only CAP_NET_RAW.
        DynamicUser: true,
        AmbientCapabilities: ['CAP_NET_RAW'],
        CapabilityBoundingSet: ['CAP_NET_RAW'],
        NoNewPrivileges: true,
        ProtectSystem: 'strict',
        ProtectHome: true,
        PrivateTmp: true,
      },
    };
    timers[wake.serviceName] = {
      description: `Check ${target.hostName} every ${wake.watchInterval}, and wake it when it is down`,
      wantedBy: ['timers.target'],
      timerConfig: { OnBootSec: wake.watchInterval, OnUnitInactiveSec: wake.watchInterval },
    };
  }
  return { systemd: { services, timers } };
}

/** The target's side: Wake-on-LAN (magic packet) enabled on the NIC of the lab network. */
export function wakeOnLanTargetSettings(target: Host): NixAttrs {
  return { networking: { interfaces: { [target.interfaceName!]: { wakeOnLan: { enable: true } } } } };
}
