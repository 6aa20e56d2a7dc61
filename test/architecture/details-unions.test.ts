/**
 * The "details" of the value types (BootSource, StorageBacking, HardwareProfile) are discriminated
 * unions on their kind: a reader narrows on `details.kind` (or a storage backing's `managed` and
 * `type`) and the compiler then knows which fields are there. A non-null assertion on a details
 * field (`storage.backing.details.path!`) is the old way of reading them, which compiles for a
 * field the kind does not have and fails only at synthesis: it is a finding anywhere in lib/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const lib = path.join(__dirname, '..', '..', 'lib');

/** `details.field!`, `details.a?.b!` and the like; `!=` and `!==` are comparisons, not assertions. */
const ASSERTED_DETAILS_FIELD = /\bdetails(?:\??\.[A-Za-z_$][\w$]*)+!(?!=)/g;

/** Every line of a TypeScript file under lib/ that asserts a details field non-null, as `file:line: text`. */
function assertedDetailsFields(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...assertedDetailsFields(full));
    } else if (entry.name.endsWith('.ts')) {
      fs.readFileSync(full, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.match(ASSERTED_DETAILS_FIELD)) {
            found.push(`${path.relative(lib, full)}:${i + 1}: ${line.trim()}`);
          }
        });
    }
  }
  return found;
}

describe('details objects are read by narrowing on their kind', () => {
  it('finds the assertions the unions replaced, and not comparisons', () => {
    const hits = (text: string) => text.match(ASSERTED_DETAILS_FIELD) ?? [];
    expect(hits("add: ['--path', storage.backing.details.path!, ...options]")).toEqual(['details.path!']);
    expect(hits('const install = vm.boot.details.nixosAnywhere!;')).toEqual(['details.nixosAnywhere!']);
    expect(hits('LABELLED.has(details.rootFileSystem!.fsType)')).toEqual(['details.rootFileSystem!']);
    expect(hits('zfsPool: d.zfs!.datasetName, x: profile.details.file!')).toEqual(['details.file!']);
    expect(hits('if (details.file !== undefined && details.kind != null)')).toEqual([]);
  });

  it('no file under lib/ asserts a details field non-null', () => {
    expect(assertedDetailsFields(lib)).toEqual([]);
  });
});
