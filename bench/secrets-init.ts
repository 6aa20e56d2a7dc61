/**
 * Gives a benchmark lab its secrets as a user's project has them (`homelab secrets init`: host
 * keys, .sops.yaml, one sops file per secret), in a folder of its own, so that the measured
 * synthesis checks and copies real sops files as `homelab synth` does in a user's project, and a
 * generated lab synthesizes without the "never initialised" warning. Not timed.
 *
 *   node build/bench/secrets-init.js --lab reference|<vms> --root <dir> --age-key <file>
 */
import { initSecrets } from '../lib/synth/secrets';
import { buildReferenceLab } from '../apps/reference-lab';
import { buildGeneratedLab } from './generated-lab';
import { option, reportMeasurement } from './measurement';

/** What the benchmark reads from this process. */
export interface SecretsInitReport {
  /** Host keys made. */
  readonly hostKeys: number;
  /** Sops files written. */
  readonly files: number;
}

function main(argv: readonly string[]): SecretsInitReport {
  const labArg = option(argv, '--lab') ?? 'reference';
  const root = option(argv, '--root');
  const ageKey = option(argv, '--age-key');
  if (!root || !ageKey) {
    throw new Error('give the project folder with --root <dir> and the admin identity with --age-key <file>');
  }
  const lab = labArg === 'reference' ? buildReferenceLab().lab : buildGeneratedLab(Number(labArg)).lab;
  const result = initSecrets(lab, { root, env: { ...process.env, SOPS_AGE_KEY_FILE: ageKey } });
  return { hostKeys: result.hostKeys.length, files: result.files.length };
}

reportMeasurement(main);
