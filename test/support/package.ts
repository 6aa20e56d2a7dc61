/**
 * The package as a user's repository gets it: packed with `npm pack` (which builds it first,
 * `prepack`), and its CLI run from the unpacked tarball before anything is installed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './labs';

/** This repository's root. */
export const REPO = path.resolve(__dirname, '../..');

/** npm, cdktf and cdk8s without audits, funding notes, update checks and telemetry. */
export const npmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  CHECKPOINT_DISABLE: '1',
  CDK8S_CHECK_UPGRADE: 'false',
};

/** Packs this repository; returns the tarball's absolute path. */
export function packThisPackage(): string {
  const packDir = tempDir('pack-');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: REPO, encoding: 'utf8', env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string }>;
  return path.join(packDir, packed[0].filename);
}

/**
 * The packed CLI (`build/bin/homelab.js` of the tarball), runnable before the user's project has
 * any dependencies: the tarball unpacked, with this repository's node_modules beside it.
 */
export function packedCli(tarball: string): string {
  const unpacked = tempDir('unpacked-');
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(unpacked, 'package', 'node_modules'));
  return path.join(unpacked, 'package/build/bin/homelab.js');
}
