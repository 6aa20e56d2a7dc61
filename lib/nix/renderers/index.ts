/**
 * The parts of the Nix projection, in order. Each adds to the flake what one part of the model
 * needs; a feature of the library adds its renderer here.
 */
import { Homelab } from '../../core/homelab';
import { NixFlake } from '../nix-flake';
import { renderDnsmasq } from './dnsmasq';
import { renderEscapeHatches } from './escape-hatches';
import { renderHardware } from './hardware';
import { renderHomeProfiles } from './home';
import { renderHostConfigurations } from './host-configuration';
import { renderK3s } from './k3s';
import { renderProxmox } from './proxmox';
import { renderRebuildScript } from './rebuild-script';
import { renderVmBackups } from './vm-backup';
import { renderWakeOnLan } from './wake-on-lan';
import { renderStorage } from './storage';
import { renderMonitoring } from './monitoring';
import { renderOffsiteBackups } from './backup';
import { renderSopsKeys } from './sops';

/** A part of the Nix projection. */
export type NixRenderer = (lab: Homelab, flake: NixFlake) => void;

/** Every renderer of the Nix projection; escape hatches last. */
export const NIX_RENDERERS: readonly NixRenderer[] = [
  renderHostConfigurations,
  renderHardware,
  renderHomeProfiles,
  renderDnsmasq,
  renderWakeOnLan,
  renderK3s,
  renderProxmox,
  renderRebuildScript,
  renderStorage,
  renderMonitoring,
  renderOffsiteBackups,
  renderVmBackups,
  // After every renderer that reads a sops secret.
  renderSopsKeys,
  renderEscapeHatches,
];
