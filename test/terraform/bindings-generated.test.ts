/**
 * The committed bpg/proxmox bindings and the test fixture schema are what the generator makes from
 * the schema kept in the repository (tools/schemas/), so a clone can regenerate them and a
 * hand edit of a generated file fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateBindings, SCHEMA_FILE } from '../../tools/generate-proxmox-bindings';

describe('the generated Terraform bindings', () => {
  it('are what tools/generate-proxmox-bindings.ts writes from the schema in the repository', () => {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(schema.x_source.provider_version).toBe('0.111.1');
    const files = generateBindings();
    expect(files.size).toBeGreaterThan(3);
    for (const [file, content] of files) {
      expect(fs.readFileSync(file, 'utf8'), path.relative(path.resolve(__dirname, '../..'), file)).toBe(content);
    }
  });
});
