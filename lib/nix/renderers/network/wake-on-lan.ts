/**
 * Wake-on-LAN: `scripts/wake-on-lan.sh`, and on each sending host `hosts/<host>/wake-on-lan.nix`
 * with a systemd service and timer per WakeOnLan; on each target
 * `hosts/<target>/wake-on-lan-nic.nix`, a service that arms Wake-on-LAN on its NIC at every boot
 * (`scripts/wake-on-lan-arm.sh`).
 */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { CHECK_TIMEOUT_SECONDS, MAGIC_PACKET_PORT, WakeOnLan, wakeRunSeconds } from '../../../network/wake-on-lan';
import { generatedHeader, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';
import { renderTemplate } from '../../templates';
import { byText } from '../../../core/order';

/** Extra seconds the service may take beyond the longest run (for the packets themselves). */
const START_TIMEOUT_MARGIN_SECONDS = 60;

/** How soon after boot the sender's timer first checks the target. */
const FIRST_CHECK_AFTER_BOOT = '30s';

/** Where a sender's pause files live (the services' StateDirectory, under /var/lib). */
export const WAKE_PAUSE_DIRECTORY = 'homelab-wake-on-lan';

/** The systemd service on a target that arms Wake-on-LAN on its NIC. */
export const WAKE_ARM_SERVICE = 'wake-on-lan-arm';

/** Seconds the arming service waits for the NIC to appear. */
const ARM_WAIT_SECONDS = 30;

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
  flake.addFile('scripts/wake-on-lan-arm.sh', renderTemplate('network/wake-on-lan-arm.sh.hbs', { header: generatedHeader(lab) }), { executable: true });
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
      // Started by its timer only, never by a target: a oneshot wanted by multi-user.target would
      // hold up this host's boot for as long as the target stays down (up to its longest run),
      // and `nixos-rebuild switch` would wait for it too; restartIfChanged keeps switch from
      // restarting (and waiting for) a run in progress.
      restartIfChanged: false,
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
        WOL_PAUSE_FILE: wakePauseFile(wake),
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
        // Where root puts a pause file (see wakePauseFile); the service only reads it.
        StateDirectory: WAKE_PAUSE_DIRECTORY,
      },
    };
    timers[wake.serviceName] = {
      description: `Check ${target.hostName} ${FIRST_CHECK_AFTER_BOOT} after boot and every ${wake.watchInterval}, and wake it when it is down`,
      wantedBy: ['timers.target'],
      timerConfig: { OnBootSec: FIRST_CHECK_AFTER_BOOT, OnUnitInactiveSec: wake.watchInterval },
    };
  }
  return { systemd: { services, timers } };
}

/**
 * The file that pauses a sender's wake service while it exists: empty, until it is removed; or
 * holding a time in seconds since the epoch, until then (`date -d '+2 hours' +%s > <file>`).
 */
export function wakePauseFile(wake: WakeOnLan): string {
  return `/var/lib/${WAKE_PAUSE_DIRECTORY}/${wake.serviceName}.pause`;
}

/**
 * The target's side: a service that arms Wake-on-LAN (magic packet, `wol g`) at every boot on
 * the NIC whose permanent MAC address is the one the senders wake, and fails unless ethtool then
 * reports `Wake-on: g`. Not `networking.interfaces.<nic>.wakeOnLan`: NixOS writes that as a
 * systemd .link file matched on `OriginalName`, the kernel's name before renaming, which a
 * renamed NIC (enp3s0 was eth0) does not match, so Wake-on stays `d` (NixOS/nixpkgs#415213).
 * The permanent MAC is what the senders' packets carry, whatever the NIC's name.
 */
export function wakeOnLanTargetSettings(target: Host): NixAttrs {
  return {
    systemd: {
      services: {
        [WAKE_ARM_SERVICE]: {
          description: `Arm Wake-on-LAN on the NIC with the permanent MAC ${target.macAddress} and check that it reports Wake-on: g`,
          wantedBy: ['multi-user.target'],
          after: ['network.target'],
          path: [
            NixExpr.call('pkgs.writeShellScriptBin', 'homelab-wake-on-lan-arm', NixExpr.call('builtins.readFile', NixExpr.path('../../scripts/wake-on-lan-arm.sh'))),
            NixExpr.ref('pkgs.ethtool'),
          ],
          environment: { WOL_MAC: target.macAddress!, WOL_NIC_WAIT: String(ARM_WAIT_SECONDS) },
          script: 'exec homelab-wake-on-lan-arm',
          serviceConfig: { Type: 'oneshot', RemainAfterExit: true, TimeoutStartSec: ARM_WAIT_SECONDS + 30 },
        },
      },
    },
  };
}
