import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { NixFlake } from './nix-flake';
import { NIX_RENDERERS } from './renderers';
import { provideProjectionRenderer } from '../synth/projections';

/**
 * The Nix projection: the lab as a NixOS flake (`flake.nix`, `hosts/<host>/…`, `modules/…`,
 * `home/…`, `scripts/…`), rendered in memory. Paths are relative to the flake's root.
 */
export function renderNixFlake(lab: Homelab): OutputFile[] {
  const flake = new NixFlake(lab);
  for (const render of NIX_RENDERERS) {
    render(lab, flake);
  }
  return flake.files();
}

// `homelab synth` loads this module when it first renders nix (see lib/synth/projections.ts).
provideProjectionRenderer('nix', renderNixFlake);
