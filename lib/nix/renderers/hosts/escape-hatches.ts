/** The per-host escape hatches: `Host.addNixSettings` and `Host.addRawNixModule`. */
import { Homelab } from '../../../core/homelab';
import { Host } from '../../../hosts/host';
import { NixFlake, renderSettingsModule } from '../../nix-flake';

/** Adds each host's extra settings (`extra.nix`) and raw modules. */
export function renderEscapeHatches(lab: Homelab, flake: NixFlake): void {
  for (const host of Host.all(lab)) {
    if (host.nixSettings.length > 0) {
      // Each addNixSettings call is its own module, so the module system merges them.
      flake.addHostModule(host, 'extra', renderSettingsModule(lab, `${host.node.path} (addNixSettings)`, { imports: [...host.nixSettings] }));
    }
    for (const raw of host.rawNixModules) {
      flake.addHostModule(host, raw.name, raw.code.endsWith('\n') ? raw.code : raw.code + '\n');
    }
  }
}
