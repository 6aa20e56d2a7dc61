/**
 * The CLI defers cdktf's archiver until cdktf zips something (lib/synth/deferred-archiver.ts,
 * issue 17): a `homelab synth` loads cdktf without archiver and the ~200 modules behind it, and a
 * `TerraformAsset` of type ARCHIVE still gets a real zip from the real archiver. Both run in fresh
 * Node processes with Node's own `require` (tsx's hook for the sources), because the test
 * runner's module graph is not the CLI's.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');
const TSX = JSON.stringify(path.join(REPO, 'node_modules/tsx/dist/cjs/index.cjs'));
const DEFER = JSON.stringify(path.join(REPO, 'lib/synth/deferred-archiver.ts'));

/** The packages (under node_modules, innermost) whose modules a process loaded, as a script prints them. */
const PRINT_PACKAGES = `
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    // The innermost package: archiver sits in cdktf's own node_modules.
    const m = /.*node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
    if (m) packages.add(m[1]);
  }
  process.stdout.write(JSON.stringify([...packages].sort()));
`;

describe('archiver, deferred until cdktf zips', () => {
  it('homelab synth of the reference lab writes its Terraform stacks without loading archiver', () => {
    const out = path.join(tempDir('deferred-archiver-'), 'dist');
    const script = `
      require(${TSX});
      process.argv = [process.argv[0], 'homelab', 'synth', '--quiet', '--out', ${JSON.stringify(out)}];
      require(${JSON.stringify(path.join(REPO, 'bin/homelab.ts'))});
      process.on('beforeExit', () => { ${PRINT_PACKAGES} });
    `;
    const packages = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' })) as string[];
    expect(fs.readdirSync(path.join(out, 'terraform')).length).toBeGreaterThan(0);
    expect(packages).toContain('cdktf');
    // archiver's own index is the stand-in in the cache; what the real one loads is absent.
    expect(packages.filter((p) => /^(archiver-utils|readable-stream|zip-stream|tar-stream|lodash|async)$/.test(p))).toEqual([]);
  });

  // cdktf zips in a child process of its own (cdktf/lib/private/fs.js, archiveSync: `node fs.js
  // src dest`), which loads archiver as it always did: the stand-in stays untouched.
  it('a TerraformAsset of type ARCHIVE is still zipped (by cdktf\'s own child process)', () => {
    const dir = tempDir('deferred-archiver-asset-');
    const source = path.join(dir, 'module');
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, 'main.tf'), 'output "answer" { value = 42 }\n');
    const script = `
      require(${TSX});
      require(${DEFER}).deferArchiver();
      const { App, TerraformStack, TerraformAsset, AssetType } = require('cdktf');
      const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'out'))} });
      const stack = new TerraformStack(app, 'zipping');
      new TerraformAsset(stack, 'module', { path: ${JSON.stringify(source)}, type: AssetType.ARCHIVE });
      app.synth();
      ${PRINT_PACKAGES}
    `;
    const packages = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' })) as string[];
    expect(packages).not.toContain('zip-stream');
    expect(packages).not.toContain('archiver-utils');
    const zips = fs.readdirSync(path.join(dir, 'out'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    expect(execFileSync('unzip', ['-l', path.join(dir, 'out', zips[0])], { encoding: 'utf8' })).toMatch(/\bmain\.tf\b/);
  });

  it('code that calls archiver in-process gets the real archiver through the stand-in', () => {
    const dir = tempDir('deferred-archiver-call-');
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello\n');
    const zip = path.join(dir, 'out.zip');
    const script = `
      require(${TSX});
      require(${DEFER}).deferArchiver();
      const path = require('node:path');
      const file = require.resolve('archiver', { paths: [path.dirname(require.resolve('cdktf'))] });
      const archiver = require(file);
      if (!archiver.isRegisteredFormat('zip')) throw new Error('zip is not registered');
      const archive = archiver('zip');
      const output = require('node:fs').createWriteStream(${JSON.stringify(zip)});
      output.on('close', () => {
        // The real module took its place in the cache: later requires get it, not the stand-in.
        if (require.cache[file].exports === archiver) throw new Error('the stand-in is still cached');
        ${PRINT_PACKAGES}
      });
      archive.pipe(output);
      archive.file(${JSON.stringify(path.join(dir, 'hello.txt'))}, { name: 'hello.txt' });
      archive.finalize();
    `;
    const packages = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' })) as string[];
    expect(packages).toEqual(expect.arrayContaining(['archiver', 'archiver-utils', 'zip-stream']));
    expect(execFileSync('unzip', ['-p', zip, 'hello.txt'], { encoding: 'utf8' })).toBe('hello\n');
  });
});
