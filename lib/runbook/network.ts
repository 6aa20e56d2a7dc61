/**
 * The network's part of the first deploy: the router's DHCP off when dnsmasq is authoritative,
 * the network anchor (the host that serves DHCP and DNS) before every other host, and a woken
 * host after its waker, with Wake-on-LAN enabled in its firmware first.
 */
import { Homelab } from '../core/homelab';
import { Dnsmasq } from '../network/dnsmasq';
import { WakeOnLan } from '../network/wake-on-lan';
import { byHand, hostStepKey, HostStepPart, PhasedRunbookStep, RunbookContribution } from './runbook-step';

/** The steps and host parts of dnsmasq and Wake-on-LAN. */
export function networkRunbook(lab: Homelab): RunbookContribution {
  const all = lab.node.findAll();
  const dnsmasqs = all.filter(Dnsmasq.isDnsmasq);
  const wakes = all.filter(WakeOnLan.isWakeOnLan);
  const anchors = [...new Set(dnsmasqs.map((d) => d.host))];
  const steps: PhasedRunbookStep[] = [];
  const hostParts: HostStepPart[] = [];
  if (dnsmasqs.some((d) => d.authoritative)) {
    steps.push(byHand('router-dhcp', `Turn the router's DHCP server off: ${anchors.map((h) => h.hostName).join(', ')} serves DHCP (dnsmasq, authoritative)`));
  }
  for (const target of [...new Set(wakes.map((w) => w.target))]) {
    steps.push(byHand(`wake-firmware:${target.hostName}`, `Enable Wake-on-LAN in ${target.hostName}'s firmware (BIOS/UEFI: "Wake on LAN", "Power on by PCI-E"; ErP/deep sleep off)`));
  }
  for (const host of anchors) {
    hostParts.push({
      host,
      anchor: true,
      role: 'the network anchor (DHCP, DNS)',
      checks: [`dig +short @${host.ipAddress} ${host.hostName}.${lab.domain}   # ${host.ipAddress}`],
      after: ['manual:router-dhcp'],
    });
  }
  for (const wake of wakes) {
    hostParts.push({
      host: wake.target,
      checks: [`systemctl status wake-on-lan-arm   # on ${wake.target.hostName}: active (exited), "Wake-on: g"`],
      after: [`manual:wake-firmware:${wake.target.hostName}`, hostStepKey(wake.host)],
    });
  }
  return { steps, hostParts };
}
