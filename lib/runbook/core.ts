/**
 * The secrets' part of the first deploy (lib/core's Secret): a host key per host, .sops.yaml and
 * the sops files made before any host is installed (each host's flake evaluates only with the
 * sops files it reads, lib/synth/secrets.ts), and every installer given its host's key.
 */
import { Homelab } from '../core/homelab';
import { hostKeyFile, HOST_KEY_PATH_ON_HOST } from '../core/host-key';
import { Host } from '../hosts/host';
import { nixSopsSecretUses } from '../nix/nix-projection';
import { backupAccountStepKeys } from './operations';
import { RunbookContribution, RunbookPhase } from './runbook-step';

/** The secrets step, and for every host a wait for it and its host key copied in the installer. */
export function secretsRunbook(lab: Homelab): RunbookContribution {
  const secretFiles = [...new Set(nixSopsSecretUses(lab).map((u) => u.secret.sops!.sopsFile))].sort();
  if (secretFiles.length === 0) {
    return {};
  }
  return {
    steps: [
      {
        phase: RunbookPhase.PREPARE,
        step: {
          key: 'secrets',
          title: "Make the lab's secrets: a host key per host, .sops.yaml and the sops files",
          manual: false,
          commands: ['npx homelab secrets init   # lists the values only you can supply', 'sops secrets/<name>.yaml   # for each of them; then commit .sops.yaml and secrets/*.yaml (not secrets/host-keys/)', 'npx homelab synth'],
          checks: [`ls ${secretFiles.join(' ')}   # all there`, 'npx homelab synth   # no "never initialised" or "placeholder" warning'],
          after: backupAccountStepKeys(lab),
        },
      },
    ],
    hostParts: Host.all(lab).map((host) => ({
      host,
      prepare: [`sudo install -D -m 0600 ${hostKeyFile(host.hostName)} /mnt${HOST_KEY_PATH_ON_HOST}   # its host key, copied from your machine`],
      after: ['secrets'],
    })),
  };
}
