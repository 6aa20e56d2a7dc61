/**
 * Secrets kept with sops-nix: the flake input, its NixOS module on the hosts that need it, the
 * `sops.secrets.<name>` entries that decrypt them to `/run/secrets/<name>`, and the host key that
 * sops-nix decrypts with. Every use of a sops secret is recorded on the flake
 * ({@link NixFlake.sopsSecretUses}): `homelab secrets init` makes the keys, `.sops.yaml` and the
 * encrypted files from that record, and synth checks the files against it.
 */
import { HOST_KEY_PATH_ON_HOST } from '../../../core/host-key';
import { Homelab } from '../../../core/homelab';
import { Secret, SecretSource } from '../../../core/secret';
import type { Host } from '../../../hosts/host';
import { FlakeInput, NixFlake, renderSettingsModule } from '../../nix-flake';
import { NixAttrs, NixExpr } from '../../nix-value';

/** The sops-nix flake input. */
export const SOPS_NIX_INPUT: FlakeInput = { name: 'sops-nix', url: 'github:Mic92/sops-nix' };

export { HOST_KEY_PATH_ON_HOST };

/** A secret that a part of a host's configuration reads, and what its value is. */
export interface SopsSecretNeed {
  /** The secret (only {@link SecretSource.SOPS} secrets are recorded). */
  readonly secret: Secret;
  /** What the value is, for the list of values the user supplies ("the k3s cluster's join token"). */
  readonly purpose: string;
  /**
   * Can `homelab secrets init` make the value (a random token or password)? When false the user
   * supplies it (a key registered elsewhere, an API token).
   */
  readonly generated: boolean;
}

/** A {@link SopsSecretNeed} of one host. */
export interface SopsSecretUse extends SopsSecretNeed {
  /** The host whose configuration reads the secret. */
  readonly host: Host;
}

/** Adds sops-nix to the flake and to a host when any of the secrets is a sops secret, and records the uses. */
export function useSopsFor(flake: NixFlake, host: Host, needs: readonly SopsSecretNeed[]): void {
  const sops = needs.filter((n) => n.secret.source === SecretSource.SOPS && n.secret.sops);
  if (sops.length > 0) {
    flake.addInput(SOPS_NIX_INPUT);
    flake.addHostFlakeModule(host, SOPS_NIX_INPUT.name, 'sops');
    for (const need of sops) {
      flake.addSopsSecretUse({ ...need, host });
    }
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

/**
 * `hosts/<host>/sops.nix` on every host that reads a sops secret: the key sops-nix decrypts with,
 * named once per host. sops-nix's default is the ed25519 keys of `services.openssh.hostKeys`
 * (modules/sops/default.nix, `defaultImportKeys "ed25519"`), which holds only while sshd is on;
 * naming the path makes the host's age identity the key that `homelab secrets init` made, whatever
 * the SSH settings.
 */
export function renderSopsKeys(lab: Homelab, flake: NixFlake): void {
  const hosts = new Map<string, Host>();
  for (const use of flake.sopsSecretUses()) {
    hosts.set(use.host.hostName, use.host);
  }
  for (const host of hosts.values()) {
    flake.addHostModule(host, 'sops', renderSettingsModule(lab, `${host.node.path} (sops-nix)`, { sops: { age: { sshKeyPaths: [HOST_KEY_PATH_ON_HOST] } } }));
  }
}
