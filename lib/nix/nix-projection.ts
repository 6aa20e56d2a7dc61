import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { NixFlake } from './nix-flake';
import { NIX_RENDERERS } from './renderers';
import type { SopsSecretUse } from './renderers/sops';

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

/**
 * Every sops secret that a host's configuration reads, as the renderers record them while they
 * render the flake in memory (see renderers/sops.ts): what `homelab secrets init` makes and what
 * synth checks the sops files against.
 */
export function nixSopsSecretUses(lab: Homelab): readonly SopsSecretUse[] {
  const flake = new NixFlake(lab);
  for (const render of NIX_RENDERERS) {
    render(lab, flake);
  }
  return flake.sopsSecretUses();
}
