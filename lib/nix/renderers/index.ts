/**
 * The parts of the Nix projection, in order. Each adds to the flake what one part of the model
 * needs; a feature of the library adds its renderer here. A renderer lives in the folder of its
 * model area (`hosts/`, `network/`, `cluster/`, `compute/`, `storage/`, `operations/`, as in
 * `lib/` and `templates/`).
 */
import { Homelab } from '../../core/homelab';
import { NixFlake } from '../nix-flake';
import { renderDnsmasq } from './network/dnsmasq';
import { renderHardware } from './hosts/hardware';
import { renderHomeProfiles } from './hosts/home';
import { renderHostConfigurations } from './hosts/host-configuration';
import { renderK3s } from './cluster/k3s';
import { renderProxmox } from './compute/proxmox';
import { renderRebuildScript } from './hosts/rebuild-script';
import { renderWakeOnLan } from './network/wake-on-lan';
import { renderStorage } from './storage/zfs';
import { renderNixosAnywhere } from './compute/nixos-anywhere';
import { renderSdImages } from './hosts/sd-image';
import { renderMonitoring } from './operations/monitoring';
import { renderOffsiteBackups } from './operations/offsite-backup';

/** A part of the Nix projection. */
export type NixRenderer = (lab: Homelab, flake: NixFlake) => void;

/** Every renderer of the Nix projection, in order; the projection runs the escape hatches after them. */
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
  renderNixosAnywhere,
  renderSdImages,
  renderMonitoring,
  renderOffsiteBackups,
];
