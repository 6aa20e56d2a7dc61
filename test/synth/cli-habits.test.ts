import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliIo, DIFF_EXIT_CODES, findingRecord, runCli, Severity } from '../../lib/internal';
import { colourWanted } from '../../lib/synth/colour';
import { tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');
const ESC = '\x1b[';

/** Runs the CLI in-process and captures what it prints. */
async function cli(args: string[], colour?: CliIo['colour']) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), colour });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** An app file with one host whose packages are `packages`; `broken` gives it a bad host id too. */
function app(dir: string, name: string, packages: string[], broken = false): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `import { smallLab, vmHost } from ${JSON.stringify(path.join(REPO, 'test/support/labs'))};
export default function () {
  const { lab } = smallLab();
  vmHost(lab, 'web', '10.0.0.10', { packages: ${JSON.stringify(packages)}${broken ? ", hostId: 'xyz'" : ''} });
  return lab;
}
`,
  );
  return file;
}

describe('homelab --version', () => {
  it("prints the version of package.json and exits 0", async () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect(await cli(['--version'])).toEqual({ code: 0, out: version, err: '' });
    expect((await cli(['-V'])).out).toBe(version);
  });
});

describe('homelab diff --exit-code', () => {
  it('exits 0 without changes, 1 with changes and 2 on an error; without the flag, 0 with changes', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'dist');
    const before = app(dir, 'before.ts', ['htop']);
    const after = app(dir, 'after.ts', ['htop', 'tmux']);
    expect((await cli(['synth', '--app', before, '--out', out, '-q'])).code).toBe(0);
    expect((await cli(['diff', '--app', before, '--out', out, '--exit-code'])).code).toBe(DIFF_EXIT_CODES.noChanges);
    const changed = await cli(['diff', '--app', after, '--out', out, '--exit-code', '--stat']);
    expect(changed.code).toBe(DIFF_EXIT_CODES.changes);
    expect(changed.out).toBe('changed  nix/hosts/web/configuration.nix\ntestlab: 0 added, 1 changed, 0 removed (nothing written)');
    expect((await cli(['diff', '--app', after, '--out', out])).code).toBe(0);
  });

  it('exits 2 (never 1, "changes") for a lab with errors, a missing app or a usage error', async () => {
    const dir = tempDir();
    const broken = app(dir, 'broken.ts', ['htop'], true);
    const invalid = await cli(['diff', '--app', broken, '--out', path.join(dir, 'dist'), '--exit-code']);
    expect(invalid.code).toBe(DIFF_EXIT_CODES.error);
    expect(invalid.err).toContain('error testlab/web: hostId "xyz"');
    expect((await cli(['diff', '--app', path.join(dir, 'missing.ts'), '--exit-code'])).code).toBe(2);
    expect((await cli(['diff', '--exit-code', '--no-such-flag'])).code).toBe(2);
    // Without the flag, the codes of every command: 1 for the lab's errors.
    expect((await cli(['diff', '--app', broken, '--out', path.join(dir, 'dist')])).code).toBe(1);
  });
});

describe('--json', () => {
  it('splits a finding into severity, id, path, message and fix', () => {
    expect(findingRecord({ path: 'lab/pool', severity: Severity.WARNING, message: 'the L2ARC is one disk. Fix: add a second. [homelab-cdk:l2arc-unmirrored]' })).toEqual({
      severity: 'warning',
      id: 'homelab-cdk:l2arc-unmirrored',
      path: 'lab/pool',
      message: 'the L2ARC is one disk.',
      fix: 'add a second.',
    });
    expect(findingRecord({ path: 'lab/b', severity: Severity.ERROR, message: 'something is odd' })).toEqual({ severity: 'error', id: null, path: 'lab/b', message: 'something is odd', fix: null });
  });

  it('validate: the warnings as records, and the errors as records with exit 1', async () => {
    const ok = await cli(['validate', '--app', path.join(REPO, 'apps/main.ts'), '--out', tempDir(), '--json']);
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.out);
    expect(result).toMatchObject({ lab: 'homelab', valid: true, errors: [], acknowledgedWarnings: 2 });
    expect(result.warnings.find((w: any) => w.id === 'homelab-cdk:mdns-domain')).toMatchObject({ severity: 'warning', path: 'homelab/pi-network/dnsmasq', fix: expect.stringMatching(/^use "home\.arpa"/) });
    expect(result.warnings.every((w: any) => !/Fix:|\[homelab-cdk:/.test(w.message))).toBe(true);

    const dir = tempDir();
    const bad = await cli(['validate', '--app', app(dir, 'broken.ts', ['htop'], true), '--out', path.join(dir, 'dist'), '--json']);
    expect(bad.code).toBe(1);
    const failed = JSON.parse(bad.out);
    expect(failed.valid).toBe(false);
    expect(failed.errors).toEqual([{ severity: 'error', id: null, path: 'testlab/web', message: expect.stringMatching(/^hostId "xyz" is not eight lower-case hex digits/), fix: expect.any(String) }]);
  });

  it('diff: the counts, and each change with its patch (without it under --stat)', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'dist');
    expect((await cli(['synth', '--app', app(dir, 'before.ts', ['htop']), '--out', out, '-q'])).code).toBe(0);
    const r = await cli(['diff', '--app', app(dir, 'after.ts', ['htop', 'tmux']), '--out', out, '--json', '--exit-code']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ lab: 'testlab', added: 0, changed: 1, removed: 0, warnings: [] });
    expect(result.changes).toEqual([{ kind: 'changed', path: 'nix/hosts/web/configuration.nix', patch: expect.stringContaining('+  environment.systemPackages = [ pkgs.htop pkgs.tmux ];') }]);
    const stat = JSON.parse((await cli(['diff', '--app', app(dir, 'after.ts', ['htop', 'tmux']), '--out', out, '--json', '--stat'])).out);
    expect(stat.changes).toEqual([{ kind: 'changed', path: 'nix/hosts/web/configuration.nix' }]);
  });

  it('synth and diagram: the summary and the flowchart', async () => {
    const dir = tempDir();
    const summary = JSON.parse((await cli(['synth', '--app', path.join(REPO, 'apps/main.ts'), '--out', dir, '--secrets', tempDir(), '--json'])).out);
    expect(summary.warnings.map((w: any) => w.id).sort()).toEqual(['homelab-cdk:mdns-domain', 'homelab-cdk:memory-overcommit', 'homelab-cdk:proxmox-nixos-release', 'homelab-cdk:secrets-not-initialised']);
    const diagram = await cli(['diagram', '--app', path.join(REPO, 'apps/main.ts'), '--json']);
    expect(diagram.code).toBe(0);
    expect(JSON.parse(diagram.out)).toEqual({ lab: 'homelab', mermaid: expect.stringMatching(/^flowchart/) });
  });

  it('prints a thrown error and a usage error as JSON too: standard output is never empty', async () => {
    for (const command of ['synth', 'diff', 'validate', 'diagram']) {
      const missing = await cli([command, '--app', '/nonexistent/app.ts', '--json']);
      expect(missing.code, command).toBe(1);
      expect(JSON.parse(missing.out), command).toEqual({
        valid: false,
        errors: [{ severity: 'error', id: null, path: null, message: 'app file /nonexistent/app.ts does not exist.', fix: 'give the file that exports the lab with --app (or HOMELAB_APP).' }],
        warnings: [],
      });
    }
    const usage = await cli(['validate', '--json', '--no-such-flag']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out).errors).toEqual([expect.objectContaining({ path: null, message: "unknown option '--no-such-flag'." })]);
  });
});

describe('colour', () => {
  it('is on for a terminal, off in a pipe, off with NO_COLOR, on with FORCE_COLOR (unless 0)', () => {
    expect(colourWanted({ isTTY: true, env: {} })).toBe(true);
    expect(colourWanted({ isTTY: false, env: {} })).toBe(false);
    expect(colourWanted({ isTTY: undefined, env: {} })).toBe(false);
    expect(colourWanted({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colourWanted({ isTTY: true, env: { NO_COLOR: '' } })).toBe(true);
    expect(colourWanted({ isTTY: true, env: { TERM: 'dumb' } })).toBe(false);
    expect(colourWanted({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(true);
    expect(colourWanted({ isTTY: false, env: { FORCE_COLOR: '' } })).toBe(true);
    expect(colourWanted({ isTTY: true, env: { FORCE_COLOR: '0' } })).toBe(false);
    expect(colourWanted({ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).toBe(true);
  });

  it('paints errors red, warnings yellow and paths bold when asked, and nothing otherwise', async () => {
    const dir = tempDir();
    const broken = app(dir, 'broken.ts', ['htop'], true);
    const coloured = await cli(['validate', '--app', broken, '--out', path.join(dir, 'dist')], { out: true, err: true });
    expect(coloured.err).toContain(`${ESC}31merror${ESC}39m ${ESC}1mtestlab/web${ESC}22m: hostId "xyz"`);
    const warnings = await cli(['validate', '--app', path.join(REPO, 'apps/main.ts'), '--out', tempDir()], { out: true, err: true });
    expect(warnings.err).toContain(`${ESC}33mwarning${ESC}39m ${ESC}1mhomelab/pi-network/dnsmasq${ESC}22m:`);
    const plain = await cli(['validate', '--app', broken, '--out', path.join(dir, 'dist')]);
    expect(plain.err).not.toContain(ESC);
    expect(plain.err).toContain('error testlab/web: hostId "xyz"');
  });

  it('colours a diff on a terminal as git does', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'dist');
    await cli(['synth', '--app', app(dir, 'before.ts', ['htop']), '--out', out, '-q']);
    const r = await cli(['diff', '--app', app(dir, 'after.ts', ['htop', 'tmux']), '--out', out], { out: true, err: true });
    expect(r.out).toContain(`${ESC}32m+  environment.systemPackages = [ pkgs.htop pkgs.tmux ];${ESC}39m`);
    expect(r.out).toContain(`${ESC}31m-  environment.systemPackages = [ pkgs.htop ];${ESC}39m`);
  });

  // The real program on a real pseudo-terminal (util-linux `script`), and in a pipe.
  it.runIf(spawnSync('script', ['--version']).status === 0)('the real homelab colours on a terminal, not in a pipe nor with NO_COLOR', () => {
    const dir = tempDir();
    const broken = app(dir, 'broken.ts', ['htop'], true);
    const command = `${path.join(REPO, 'node_modules/.bin/tsx')} ${path.join(REPO, 'bin/homelab.ts')} validate --app ${broken} --out ${path.join(dir, 'dist')}`;
    const env = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined, TERM: 'xterm' };
    const onTerminal = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env });
    expect(onTerminal.stdout).toContain(`${ESC}31merror${ESC}39m`);
    const noColor = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...env, NO_COLOR: '1' } });
    expect(noColor.stdout).toContain('error testlab/web');
    expect(noColor.stdout).not.toContain(ESC);
    const piped = spawnSync('sh', ['-c', command], { encoding: 'utf8', env });
    expect(piped.status).toBe(1);
    expect(piped.stderr).toContain('error testlab/web');
    expect(piped.stderr).not.toContain(ESC);
  }, 60_000);
});
