/**
 * A user's own homelab repository for the benchmark, made the way a user makes one: the package
 * packed (`npm pack`, as until it is published), `homelab init <dir> --package <tarball>` with the
 * compiled CLI, `npm install --prefer-offline` there, then the reference lab as the user's lab:
 * apps/reference-lab/*.ts copied into `<dir>/reference-lab/` with their `'../../lib'` imports
 * rewritten to `'homelab-cdk'`, and `lab.ts` exporting `() => buildReferenceLab().lab`; then
 * `homelab secrets init`, as a user does before the first deploy. The project's own cdktf.json and
 * cdk8s.yaml (written by init) run the same lab for the peers.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What {@link makeUserProject} made. */
export interface UserProject {
  /** The project folder. */
  readonly dir: string;
  /** The packed package it installs. */
  readonly tarball: string;
  /** How long packing, init and npm install took (ms), for the log. */
  readonly setupMs: number;
}

/**
 * Makes the project in `scratch/my-lab`. `root` is this repository, with `build/` compiled: the
 * package is packed without its prepack script (which would rebuild `build/` under the running
 * benchmark), so it ships the JavaScript the benchmark just compiled from the same sources.
 */
export function makeUserProject(root: string, scratch: string, env: NodeJS.ProcessEnv): UserProject {
  const started = performance.now();
  const packDir = path.join(scratch, 'pack');
  fs.mkdirSync(packDir, { recursive: true });
  const npmEnv = { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: root, encoding: 'utf8', env: npmEnv }),
  ) as Array<{ filename: string }>;
  const tarball = path.join(packDir, path.basename(packed[0].filename));
  const dir = path.join(scratch, 'my-lab');
  execFileSync(process.execPath, [path.join(root, 'build/bin/homelab.js'), 'init', dir, '--package', tarball], { cwd: root, env: npmEnv, stdio: 'pipe' });
  execFileSync('npm', ['install', '--prefer-offline'], { cwd: dir, env: npmEnv, stdio: 'pipe' });

  const labDir = path.join(dir, 'reference-lab');
  fs.mkdirSync(labDir);
  const source = path.join(root, 'apps/reference-lab');
  for (const file of fs.readdirSync(source).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(source, file), 'utf8');
    const rewritten = text.replace(/from '\.\.\/\.\.\/lib'/g, "from 'homelab-cdk'");
    if (/from '\.\.\/\.\.\//.test(rewritten)) {
      throw new Error(`apps/reference-lab/${file} imports from the repository beyond lib/; the user project cannot have that`);
    }
    fs.writeFileSync(path.join(labDir, file), rewritten);
  }
  fs.writeFileSync(
    path.join(dir, 'lab.ts'),
    ["// The reference lab as a user's lab (copied by the benchmark).", "import { buildReferenceLab } from './reference-lab';", '', 'export default () => buildReferenceLab().lab;', ''].join('\n'),
  );
  // A user's project has its secrets (README, "Secrets"): host keys, .sops.yaml and sops files,
  // which every synth checks and copies into the flake. The admin's age identity stays in scratch.
  const secretsEnv = { ...npmEnv, SOPS_AGE_KEY_FILE: path.join(scratch, 'age', 'keys.txt') };
  execFileSync(path.join(dir, 'node_modules', '.bin', 'homelab'), ['secrets', 'init'], { cwd: dir, env: secretsEnv, stdio: 'pipe' });
  return { dir, tarball, setupMs: performance.now() - started };
}
