/**
 * `homelab init` as a new user runs it: in an empty folder, against the packed package (a
 * tarball, as until the package is published), then `npm install`, and the three synths there:
 * `homelab synth` with no flag (the app comes from package.json), `cdktf synth` and
 * `cdk8s synth` through the written cdktf.json and cdk8s.yaml, which must write the same bytes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/labs';
import { npmEnv, packedCli, packThisPackage, REPO } from '../support/package';

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: npmEnv });

let project: string;
let tarball: string;

beforeAll(() => {
  tarball = packThisPackage();
  project = path.join(tempDir('init-'), 'my-lab');
  const init = run(process.execPath, [packedCli(tarball), 'init', project, '--package', tarball], REPO);
  expect(init.stderr).toBe('');
  expect(init.status).toBe(0);
  const install = run('npm', ['install', '--prefer-offline'], project);
  expect(install.status, install.stderr).toBe(0);
}, 600_000);

describe('homelab init', () => {
  it('writes a project that names the lab for homelab, pins its libraries and ignores outputs and keys', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(pkg.homelab).toEqual({ app: 'lab.ts' });
    expect(pkg.dependencies['homelab-cdk']).toBe(tarball);
    const own = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    // cdktf is this library's dependency; cdk8s, cdk8s-plus-28 and constructs its peers (one copy
    // of each, shared with the project's own workloads), pinned to the versions it is tested with.
    expect(pkg.dependencies.cdktf).toBe(own.dependencies.cdktf);
    for (const dep of ['cdk8s', 'cdk8s-plus-28', 'constructs']) {
      expect(own.peerDependencies[dep], dep).toBe(`^${own.devDependencies[dep]}`);
      expect(pkg.dependencies[dep], dep).toBe(own.devDependencies[dep]);
    }
    expect(fs.readFileSync(path.join(project, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules/', 'cdktf.out/', 'keys/']));
  });

  it('type-checks the starter lab and its entry files with the TypeScript it installs, and validates it strictly', () => {
    const check = run('npm', ['run', '--silent', 'check'], project);
    expect(check.stdout + check.stderr).toMatch(/valid \(0 warning\(s\)\)/);
    expect(check.status).toBe(0);
  });

  it('synthesizes with homelab synth (no --app), and cdk8s synth writes the same bytes', () => {
    const synth = run('npx', ['homelab', 'synth', '--json'], project);
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    expect(JSON.parse(synth.stdout).hosts.map((h: { name: string }) => h.name)).toEqual(['app', 'pve']);
    expect(fs.readdirSync(path.join(project, 'dist/terraform'))).toEqual(['prod']);
    const cdk8s = run('npm', ['run', '--silent', 'synth:k8s'], project);
    expect(cdk8s.status, cdk8s.stdout + cdk8s.stderr).toBe(0);
    const diff = run('npx', ['homelab', 'diff'], project);
    expect(diff.stdout.trim().split('\n').pop()).toBe('minimal: no changes');
  });

  // cdktf-cli 0.21's terminal library (@cdktf/node-pty-prebuilt-multiarch) has no build for Node 24's
  // ABI, so `cdktf synth` itself cannot start there (the library and homelab synth can).
  it.skipIf(Number(process.versions.node.split('.')[0]) >= 24)('lets cdktf synth write the same Terraform JSON as homelab synth', () => {
    expect(run('npx', ['homelab', 'synth', '-q'], project).status).toBe(0);
    const stacks = fs.readdirSync(path.join(project, 'dist/terraform'));
    const cdktf = run('npm', ['run', '--silent', 'synth:terraform'], project);
    expect(cdktf.status, cdktf.stdout + cdktf.stderr).toBe(0);
    for (const stack of stacks) {
      expect(fs.readFileSync(path.join(project, 'cdktf.out/stacks', stack, 'cdk.tf.json'), 'utf8'), stack).toBe(fs.readFileSync(path.join(project, 'dist/terraform', stack, 'cdk.tf.json'), 'utf8'));
    }
  });

  it('reports a type error in the lab with validate --type-check, on its file and line, which homelab synth alone would not see', () => {
    const lab = fs.readFileSync(path.join(project, 'lab.ts'), 'utf8');
    fs.writeFileSync(path.join(project, 'typo.ts'), lab.replace("ipAddress: '10.0.0.2'", 'ipAddress: 10'));
    try {
      const r = run('npx', ['homelab', 'validate', '--type-check', '--app', 'typo.ts'], project);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/error typo\.ts:\d+:\d+: Type 'number' is not assignable to type 'string'\. \(TS2322\)\. Fix: correct the line named here/);
    } finally {
      fs.rmSync(path.join(project, 'typo.ts'));
    }
  });

  it('refuses a folder that has any of its files already, naming each, and writes nothing', () => {
    const other = tempDir('init-taken-');
    fs.writeFileSync(path.join(other, 'package.json'), '{ "name": "mine" }');
    const r = run(process.execPath, [path.join(project, 'node_modules/homelab-cdk/build/bin/homelab.js'), 'init', other], project);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/package\.json: is already there; homelab init never overwrites a file\. Fix: run it in an empty or new folder/);
    expect(fs.readdirSync(other)).toEqual(['package.json']);
    expect(fs.readFileSync(path.join(other, 'package.json'), 'utf8')).toBe('{ "name": "mine" }');
  });
});
