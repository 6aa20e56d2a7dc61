import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { NixFlake } from './nix-flake';
import { NIX_RENDERERS } from './renderers';

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
