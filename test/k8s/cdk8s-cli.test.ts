import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../lib/internal';
import { readTree, tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

describe('cdk8s synth', () => {
  it('writes the same manifests as homelab synth writes to dist/k8s', async () => {
    const homelabOut = tempDir();
    const code = await runCli(['synth', '--app', path.join(REPO, 'apps/main.ts'), '--out', homelabOut, '--quiet'], { out: () => undefined, err: () => undefined });
    expect(code).toBe(0);
    const fromHomelab = readTree(path.join(homelabOut, 'k8s'));
    expect(Object.keys(fromHomelab)).toEqual(['adguard-home.k8s.yaml']);

    // The CLI as cdk8s.yaml configures it, only with another output folder.
    const cdk8sOut = tempDir();
    const run = spawnSync(path.join(REPO, 'node_modules/.bin/cdk8s'), ['synth', '--output', cdk8sOut], {
      cwd: REPO,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readTree(cdk8sOut)).toEqual(fromHomelab);
  });
});
