/**
 * `homelab synth` on Node 22 and 24 prints no DeprecationWarning of cdktf's internals (DEP0044,
 * `util.isArray`), and every other warning as Node prints it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

describe('Node warnings', () => {
  it("drops DEP0044 when cdktf's code emits it, and nothing else", () => {
    const dir = tempDir('warnings-');
    fs.mkdirSync(path.join(dir, 'node_modules', 'cdktf'), { recursive: true });
    // Stand-ins for a library that calls a deprecated API: one under node_modules/cdktf, one not.
    const emit = "module.exports = () => process.emitWarning('The `util.isArray` API is deprecated.', 'DeprecationWarning', 'DEP0044');\n";
    fs.writeFileSync(path.join(dir, 'node_modules', 'cdktf', 'index.js'), emit);
    fs.writeFileSync(path.join(dir, 'other.js'), emit);
    const script = [
      `require(${JSON.stringify(path.join(REPO, 'node_modules/tsx/dist/cjs/index.cjs'))});`,
      `require(${JSON.stringify(path.join(REPO, 'lib/synth/node-warnings.ts'))}).quietCdktfDeprecation();`,
      `require(${JSON.stringify(path.join(dir, 'node_modules/cdktf/index.js'))})();`,
      "process.emitWarning('something else', 'Warning');",
      `require(${JSON.stringify(path.join(dir, 'other.js'))})();`,
    ].join('\n');
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => /Warning/.test(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/Warning: something else/);
    expect(lines[1]).toMatch(/\[DEP0044\] DeprecationWarning/);
  });
});
