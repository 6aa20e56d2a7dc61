import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { NixFlake } from './nix-flake';
import { NIX_RENDERERS, NixRenderer } from './renderers';
import { renderEscapeHatches } from './renderers/hosts/escape-hatches';

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
import { provideProjectionRenderer } from '../synth/projections';

/**
 * The Nix projection: the lab as a NixOS flake (`flake.nix`, `hosts/<host>/…`, `modules/…`,
 * `home/…`, `scripts/…`), rendered in memory. Paths are relative to the flake's root.
 */
export function renderNixFlake(lab: Homelab, options: NixProjectionOptions = {}): OutputFile[] {
  const flake = new NixFlake(lab);
  for (const render of [...NIX_RENDERERS, ...(options.extraRenderers ?? [])]) {
    render(lab, flake);
  }
  // The escape hatches come last, so that raw Nix and addNixSettings can override anything.
  renderEscapeHatches(lab, flake);
  return flake.files();
}

// `homelab synth` loads this module when it first renders nix (see lib/synth/projections.ts).
provideProjectionRenderer('nix', renderNixFlake);
