/**
 * Each projection's format library is loaded only when that projection runs (issue 17):
 * `homelab synth --only nix` loads neither cdktf nor cdk8s. Run in a fresh Node process with
 * Node's own `require` (tsx's hook for the TypeScript sources, as `npm run synth` runs), because
 * the test runner's module graph has loaded every projection already.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, TEST_KEY } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

/**
 * An app built from the model's own modules (not lib/index.ts, which re-exports the projections
 * too): one NixOS host in a VM and one Proxmox VM, so that every projection has output.
 */
const APP = `
import { Homelab } from '${REPO}/lib/core/homelab';
import { HardwareProfile } from '${REPO}/lib/hosts/hardware-profile';
import { Host } from '${REPO}/lib/hosts/host';
import { User } from '${REPO}/lib/hosts/user';
export default () => {
  const lab = new Homelab({ name: 'lazylab', domain: 'lab.example', network: { cidr: '10.0.0.0/24', gateway: '10.0.0.1' } });
  new User(lab, 'admin', { sudo: true, sshKeys: ['${TEST_KEY}'] });
  new Host(lab, 'web', { hardware: HardwareProfile.qemuGuest(), ipAddress: '10.0.0.10' });
  return lab;
};
`;

/** The CLI's exit code and the packages whose modules the process loaded, after `homelab <args>`. */
function runInFreshProcess(args: string[]): { code: number; packages: string[]; handlebarsCompilerLoaded: boolean } {
  const script = `
    require('tsx/cjs/api').register();
    const { runCli } = require(${JSON.stringify(path.join(REPO, 'lib/synth/cli.ts'))});
    const quiet = { out: () => {}, err: (t) => process.stderr.write(t + '\\n') };
    runCli(${JSON.stringify(args)}, quiet).then((code) => {
      const packages = new Set();
      for (const file of Object.keys(require.cache)) {
        const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
        if (m) packages.add(m[1]);
      }
      const handlebarsCompilerLoaded = Object.keys(require.cache).some((f) => /handlebars\\/dist\\/cjs\\/handlebars\\/compiler\\//.test(f));
      process.stdout.write(JSON.stringify({ code, packages: [...packages].sort(), handlebarsCompilerLoaded }));
    });
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' }));
}

describe('projections load their libraries on first use', () => {
  const dir = tempDir('homelab-lazy-');
  const app = path.join(dir, 'lab.ts');
  fs.writeFileSync(app, APP);

  it('synth --only nix loads neither cdktf nor cdk8s (nor cdk8s-plus-28)', () => {
    const out = path.join(dir, 'only-nix');
    const { code, packages, handlebarsCompilerLoaded } = runInFreshProcess(['synth', '--app', app, '--out', out, '--only', 'nix']);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(out, 'nix/flake.nix'))).toBe(true);
    expect(packages).toContain('handlebars');
    expect(packages.filter((p) => /^cdk/.test(p))).toEqual([]);
    // The templates are precompiled: Handlebars's parser and compiler stay unloaded.
    expect(handlebarsCompilerLoaded).toBe(false);
  });

  // validate checks the sops files against the secrets the hosts' configurations read, which the
  // Nix projection learns by rendering the flake in memory (lib/synth/secrets.ts): Handlebars's
  // runtime, never its compiler, and never cdktf (the Terraform projection has no validation).
  it('validate loads no cdktf, and of Handlebars only its runtime (the Nix rendering that the sops check reads)', () => {
    const { code, packages, handlebarsCompilerLoaded } = runInFreshProcess(['validate', '--app', app]);
    expect(code).toBe(0);
    expect(packages.filter((p) => /^cdktf/.test(p))).toEqual([]);
    expect(handlebarsCompilerLoaded).toBe(false);
  });

  it('a full synth loads the libraries of all three projections (what --only nix leaves out)', () => {
    const out = path.join(dir, 'all');
    const { code, packages } = runInFreshProcess(['synth', '--app', app, '--out', out]);
    expect(code).toBe(0);
    expect(packages).toEqual(expect.arrayContaining(['cdk8s', 'cdk8s-plus-28', 'cdktf', 'handlebars']));
    expect(fs.existsSync(path.join(out, 'nix/flake.nix'))).toBe(true);
  });
});
