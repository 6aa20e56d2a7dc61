/**
 * The package as another repository uses it: `npm pack`, install the tarball into a fresh
 * project, type-check the minimal example against the published .d.ts files, and synthesize it
 * with the installed `homelab` command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nixFilesUnder, parseNixFiles } from '../support/nix';
import { tempDir } from '../support/labs';
import { npmEnv, packThisPackage, REPO } from '../support/package';

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });

let project: string;
let tarball: string;

beforeAll(() => {
  tarball = packThisPackage();
  project = tempDir('consumer-');
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-lab', private: true }));
  // The exact TypeScript and Node types of this repository, from the npm cache when present.
  const devVersion = (name: string) => JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')).version;
  run('npm', ['install', '--prefer-offline', tarball, `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`], project);
  fs.copyFileSync(path.join(REPO, 'examples/minimal-lab/lab.ts'), path.join(project, 'lab.ts'));
}, 180_000);

describe('the packed package', () => {
  it('ships the compiled library, its types, the CLI, the templates and the starter lab, and no other sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(files).toContain('package/build/lib/index.js');
    expect(files).toContain('package/build/lib/index.d.ts');
    expect(files).toContain('package/build/bin/homelab.js');
    expect(files).toContain('package/templates/flake.nix.hbs');
    // The one TypeScript source shipped: the starter lab that `homelab init` copies.
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual(['package/examples/minimal-lab/lab.ts']);
    expect(files.some((f) => f.startsWith('package/test/'))).toBe(false);
  });

  it('resolves its entry points, and no other path, from the package.json exports', () => {
    const script = [
      "const names = (id) => Object.keys(require(id)).sort();",
      "const out = { main: names('homelab-cdk'), terraform: names('homelab-cdk/terraform'), kubernetes: names('homelab-cdk/kubernetes'), internal: names('homelab-cdk/internal') };",
      "try { require('homelab-cdk/build/lib/synth/cli'); out.deep = 'loaded'; } catch (e) { out.deep = e.code; }",
      'console.log(JSON.stringify(out));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const entries = JSON.parse(r.stdout);
    expect(entries.main).toEqual(expect.arrayContaining(['Homelab', 'ZfsPool', 'ProxmoxVm', 'ClusterChart', 'synthesize', 'validateLab']));
    expect(entries.main).not.toContain('perValidationRun');
    expect(entries.main).not.toContain('synthesizeTerraformApp');
    expect(entries.terraform).toEqual(expect.arrayContaining(['synthesizeTerraformApp', 'ProxmoxTerraformStack', 'ProxmoxVirtualEnvironmentVm']));
    expect(entries.kubernetes).toEqual(expect.arrayContaining(['synthKubernetesApp', 'onHost']));
    expect(entries.internal).toEqual(expect.arrayContaining(['perValidationRun', 'stableJson', 'NIX_RENDERERS', 'Homelab']));
    expect(entries.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('type-checks the minimal example against its published declarations, in strict mode', () => {
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', noEmit: true, types: ['node'] }, files: ['lab.ts'] }),
    );
    const r = spawnSync('npx', ['tsc', '-p', '.'], { cwd: project, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('synthesizes the minimal example with the installed homelab command', () => {
    const r = spawnSync('npx', ['homelab', 'synth', '--app', 'lab.ts', '--json'], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.hosts.map((h: { name: string }) => h.name)).toEqual(['app', 'pve']);
    expect(summary.vms.map((v: { name: string }) => v.name)).toEqual(['app', 'web']);
    const dist = path.join(project, 'dist');
    expect(parseNixFiles(nixFilesUnder(path.join(dist, 'nix')))).toEqual([]);
    const tf = JSON.parse(fs.readFileSync(path.join(dist, 'terraform/prod/cdk.tf.json'), 'utf8'));
    expect(Object.keys(tf.resource.proxmox_virtual_environment_vm).sort()).toEqual(['app', 'web']);
  });
});
