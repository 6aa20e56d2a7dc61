/**
 * Where a NixOS host's SSH host key lives: in the project, as `homelab secrets init` writes it
 * (never in dist/ or the Nix store), and on the host, where sops-nix turns it into the host's age
 * identity (`sops.age.sshKeyPaths`). The installs (nixos-anywhere's extra files, the SD card,
 * `nixos-install`), the runbook and the secrets bootstrap all name it from here.
 */

/** The host key's path on the host: OpenSSH's own ed25519 host key. */
export const HOST_KEY_PATH_ON_HOST = '/etc/ssh/ssh_host_ed25519_key';

/** The host key's file in the project, relative to its root (`.pub` beside it). */
export function hostKeyFile(hostName: string): string {
  return `secrets/host-keys/${hostName}/ssh_host_ed25519_key`;
}
