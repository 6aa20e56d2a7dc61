import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { perValidationRun } from '../core/validation';
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
  return renderedFlake(lab, options).files();
}

// The key of the library's own flake (no extra renderers) in a synthesis run's cache.
const LIBRARY_FLAKE = {};

/**
 * The flake with every renderer run, once per synthesis run (see `withSharedIndexes`) when it has
 * only the library's renderers: `homelab synth` writes its files and checks the project's sops
 * files against the secrets it reads, and rendering it twice cost every synthesis a second run of
 * all the renderers (issue 17). Its files are made by the caller that writes them.
 */
function renderedFlake(lab: Homelab, options: NixProjectionOptions): NixFlake {
  const extra = options.extraRenderers ?? [];
  return extra.length === 0 ? perValidationRun(lab, LIBRARY_FLAKE, () => renderFlake(lab, extra)) : renderFlake(lab, extra);
}

function renderFlake(lab: Homelab, extraRenderers: readonly NixRenderer[]): NixFlake {
  const flake = new NixFlake(lab);
  for (const render of [...NIX_RENDERERS, ...extraRenderers]) {
    render(lab, flake);
  }
  // After every renderer that may read a sops secret: each such host names its sops key once.
  renderSopsKeys(lab, flake);
  // The escape hatches come last, so that raw Nix and addNixSettings can override anything.
  renderEscapeHatches(lab, flake);
  return flake;
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
 * synth checks the sops files against. Inside a synthesis run it is the record of the flake that
 * run renders, not a second render.
 */
export function nixSopsSecretUses(lab: Homelab, options: NixProjectionOptions = {}): readonly SopsSecretUse[] {
  return renderedFlake(lab, options).sopsSecretUses();
}

// `homelab synth` loads this module when it first renders nix (see lib/synth/projections.ts).
provideProjectionRenderer('nix', renderNixFlake);
