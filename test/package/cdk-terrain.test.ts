/**
 * CDK Terrain (`cdktn`, open-constructs/cdk-terrain), the maintained fork of the deprecated
 * cdktf, as a user gets it: `homelab init --terraform-cdk cdktn` in an empty folder against the
 * packed package, `npm install`, then `homelab synth` and `cdktn synth`. The outputs must be the
 * bytes this repository writes with cdktf 0.21 for the same lab, but for the one field where
 * each CDK records its own version (`//.metadata.version`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CDK_TERRAIN_VERSION } from '../../lib/synth/init';
import { tempDir } from '../support/labs';
import { npmEnv, packedCli, packThisPackage, REPO } from '../support/package';

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: npmEnv });

let project: string;
/** The starter lab synthesized by this repository itself, with cdktf 0.21. */
let withCdktf: string;

/** Every file under `dir`, relative, sorted. */
const filesUnder = (dir: string): string[] =>
  (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

beforeAll(() => {
  const tarball = packThisPackage();
  project = path.join(tempDir('terrain-'), 'my-lab');
  const init = run(process.execPath, [packedCli(tarball), 'init', project, '--package', tarball, '--terraform-cdk', 'cdktn'], REPO);
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  const install = run('npm', ['install', '--prefer-offline'], project);
  expect(install.status, install.stderr).toBe(0);
  withCdktf = path.join(tempDir('terrain-cdktf-'), 'dist');
  const own = run(process.execPath, [path.join(REPO, 'node_modules/tsx/dist/cli.mjs'), 'bin/homelab.ts', 'synth', '-q', '--app', 'examples/minimal-lab/lab.ts', '--out', withCdktf], REPO);
  expect(own.status, own.stderr).toBe(0);
}, 600_000);

describe('a project on CDK Terrain', () => {
  it('installs one copy of cdktn under the name cdktf, for its own entry file and for homelab-cdk alike', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(pkg.dependencies.cdktf).toBe(`npm:cdktn@${CDK_TERRAIN_VERSION}`);
    expect(pkg.overrides).toEqual({ cdktf: `npm:cdktn@${CDK_TERRAIN_VERSION}` });
    expect(pkg.devDependencies['cdktn-cli']).toBe(CDK_TERRAIN_VERSION);
    expect(pkg.devDependencies['cdktf-cli']).toBeUndefined();
    expect(pkg.scripts['synth:terraform']).toBe('CHECKPOINT_DISABLE=1 cdktn synth');
    const installed = (from: string) => JSON.parse(fs.readFileSync(require.resolve('cdktf/package.json', { paths: [from] }), 'utf8'));
    expect(installed(project)).toMatchObject({ name: 'cdktn', version: CDK_TERRAIN_VERSION });
    const library = path.join(project, 'node_modules/homelab-cdk');
    expect(require.resolve('cdktf', { paths: [library] })).toBe(require.resolve('cdktf', { paths: [project] }));
  });

  it('synthesizes with homelab synth the bytes cdktf 0.21 writes, but for the version each CDK records', () => {
    const synth = run('npx', ['homelab', 'synth', '-q'], project);
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const dist = path.join(project, 'dist');
    expect(filesUnder(dist)).toEqual(filesUnder(withCdktf));
    const cdktfVersion = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/cdktf/package.json'), 'utf8')).version as string;
    for (const file of filesUnder(dist)) {
      const ours = fs.readFileSync(path.join(dist, file), 'utf8');
      const theirs = fs.readFileSync(path.join(withCdktf, file), 'utf8');
      if (file.endsWith('cdk.tf.json')) {
        expect(JSON.parse(ours)['//'].metadata.version, file).toBe(CDK_TERRAIN_VERSION);
        // The first "version" of the file is the metadata's (the provider's comes later).
        expect(ours.replace(`"version": "${CDK_TERRAIN_VERSION}"`, `"version": "${cdktfVersion}"`), file).toBe(theirs);
      } else if (!file.startsWith('.homelab')) {
        expect(ours, file).toBe(theirs);
      }
    }
  });

  // cdktn-cli's engines: Node.js 22.19 or later (on Node 20 npm installs it, with a warning, but it
  // does not start); CI runs this file on Node 22 and 24 as well.
  const [major, minor] = process.versions.node.split('.').map(Number);
  it.skipIf(major < 22 || (major === 22 && minor < 19))('lets cdktn synth write the same Terraform JSON as homelab synth', () => {
    expect(run('npx', ['homelab', 'synth', '-q'], project).status).toBe(0);
    const cdktn = run('npm', ['run', '--silent', 'synth:terraform'], project);
    expect(cdktn.status, cdktn.stdout + cdktn.stderr).toBe(0);
    for (const stack of fs.readdirSync(path.join(project, 'dist/terraform'))) {
      expect(fs.readFileSync(path.join(project, 'cdktf.out/stacks', stack, 'cdk.tf.json'), 'utf8'), stack).toBe(
        fs.readFileSync(path.join(project, 'dist/terraform', stack, 'cdk.tf.json'), 'utf8'),
      );
    }
  });
});
