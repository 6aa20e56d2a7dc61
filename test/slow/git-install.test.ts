/**
 * Installing homelab-cdk from a git URL, the way a user does until it is on the npm registry:
 * `homelab init --package git+…`, then `npm install`, which clones the repository, installs its
 * dev dependencies and runs its `prepare` script (the build: the clone has no build/ folder),
 * then packs and installs the result. npm clones the committed HEAD of this repository, so this
 * test checks what is committed. Slow (minutes: a full install of the dev dependencies), so
 * it runs once in CI, with `npm run test:slow`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/labs';
import { npmEnv, REPO } from '../support/package';

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: npmEnv });
const url = `git+file://${REPO}`;
let project: string;

beforeAll(() => {
  const built = run('npm', ['run', '--silent', 'build'], REPO);
  expect(built.status, built.stderr).toBe(0);
  project = path.join(tempDir('git-install-'), 'my-lab');
  const init = run(process.execPath, [path.join(REPO, 'build/bin/homelab.js'), 'init', project, '--package', url], REPO);
  expect(init.status, init.stderr).toBe(0);
  const install = run('npm', ['install', '--prefer-offline'], project);
  expect(install.status, install.stderr).toBe(0);
}, 1_200_000);

describe('homelab-cdk installed from a git URL', () => {
  it('is built by its prepare script and ships what the tarball ships', () => {
    const installed = path.join(project, 'node_modules/homelab-cdk');
    expect(JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')).dependencies['homelab-cdk']).toBe(url);
    for (const file of ['build/lib/index.js', 'build/lib/index.d.ts', 'build/bin/homelab.js', 'templates/flake.nix.hbs', 'examples/minimal-lab/lab.ts']) {
      expect(fs.existsSync(path.join(installed, file)), file).toBe(true);
    }
    expect(fs.existsSync(path.join(installed, 'lib'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'test'))).toBe(false);
  });

  it('type-checks, validates and synthesizes the starter lab there', () => {
    const version = run('npx', ['homelab', '--version'], project);
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    const check = run('npm', ['run', '--silent', 'check'], project);
    expect(check.stdout + check.stderr).toMatch(/valid \(0 warning\(s\)\)/);
    expect(check.status).toBe(0);
    const synth = run('npx', ['homelab', 'synth', '-q'], project);
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    expect(fs.readdirSync(path.join(project, 'dist/terraform'))).toEqual(['prod']);
  });
});
