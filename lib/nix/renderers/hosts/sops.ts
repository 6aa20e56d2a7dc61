/**
 * Secrets kept with sops-nix: the flake input, its NixOS module on the hosts that need it, and the
 * `sops.secrets.<name>` entries that decrypt them to `/run/secrets/<name>`.
 */
import { Secret, SecretSource } from '../../../core/secret';
import type { Host } from '../../../hosts/host';
import { FlakeInput, NixFlake } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';

/** The sops-nix flake input. */
export const SOPS_NIX_INPUT: FlakeInput = { name: 'sops-nix', url: 'github:Mic92/sops-nix' };

/** Adds sops-nix to the flake and to a host when any of the secrets is a sops secret. */
export function useSopsFor(flake: NixFlake, host: Host, secrets: readonly Secret[]): void {
  if (secrets.some((s) => s.source === SecretSource.SOPS)) {
    flake.addInput(SOPS_NIX_INPUT);
    flake.addHostFlakeModule(host, SOPS_NIX_INPUT.name, 'sops');
  }
}

/**
 * The `sops` settings that decrypt the sops secrets among `secrets` on a host (from a module in
 * `hosts/<host>/`), or undefined when there are none.
 */
export function sopsSecretsSettings(secrets: readonly Secret[]): NixAttrs | undefined {
  const entries: Record<string, NixAttrs> = {};
  for (const secret of secrets) {
    if (secret.source !== SecretSource.SOPS || !secret.sops) {
      continue;
    }
    entries[secret.reference] = {
      // hosts/<host>/<module>.nix → the flake root
      sopsFile: NixExpr.path(`../../${secret.sops.sopsFile}`),
      owner: secret.sops.owner,
      mode: secret.sops.mode,
    };
  }
  return Object.keys(entries).length ? { secrets: entries } : undefined;
}
