import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { Host } from '../hosts/host';
import { NixFlake } from './nix-flake';
import { NIX_RENDERERS, NixRenderer } from './renderers';
import { renderEscapeHatches } from './renderers/hosts/escape-hatches';
import { renderSopsKeys, SopsSecretUse } from './renderers/hosts/sops';

/** Options of {@link renderNixFlake}. */
export interface NixProjectionOptions {
  /**
   * Renderers of constructs the library does not know (your own), run after the library's own
   * and before the escape hatches, with the same flake: they add modules and files, and register
   * their units, alert rules and panels with `flake.monitoring`.
   * @default - the library's renderers only
   */
  readonly extraRenderers?: readonly NixRenderer[];
}
import { provideProjectionRenderer } from '../core/projection';

/**
 * The Nix projection: the lab as a NixOS flake (`flake.nix`, `hosts/<host>/…`, `modules/…`,
 * `home/…`, `scripts/…`), rendered in memory. Paths are relative to the flake's root.
 */
export function renderNixFlake(lab: Homelab, options: NixProjectionOptions = {}): OutputFile[] {
  const flake = new NixFlake(lab);
  for (const render of [...NIX_RENDERERS, ...(options.extraRenderers ?? [])]) {
    render(lab, flake);
  }
  // After every renderer that may read a sops secret: each such host names its sops key once.
  renderSopsKeys(lab, flake);
  // The escape hatches come last, so that raw Nix and addNixSettings can override anything.
  renderEscapeHatches(lab, flake);
  return flake.files();
}

/**
 * The names of the hosts that become `nixosConfigurations` of the flake, sorted: the hosts
 * `homelab secrets init` makes a host key for (lib/synth reads them here, not from the model).
 */
export function nixHostNames(lab: Homelab): string[] {
  return Host.all(lab).map((host) => host.hostName);
}

/**
 * Every sops secret that a host's configuration reads, as the renderers record them while they
 * render the flake in memory (see renderers/hosts/sops.ts): what `homelab secrets init` makes and what
 * synth checks the sops files against.
 */
export function nixSopsSecretUses(lab: Homelab, options: NixProjectionOptions = {}): readonly SopsSecretUse[] {
  const flake = new NixFlake(lab);
  for (const render of [...NIX_RENDERERS, ...(options.extraRenderers ?? [])]) {
    render(lab, flake);
  }
  return flake.sopsSecretUses();
}

// `homelab synth` loads this module when it first renders nix (see lib/synth/projections.ts).
provideProjectionRenderer('nix', renderNixFlake);
