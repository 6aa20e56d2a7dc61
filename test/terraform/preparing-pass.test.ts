/**
 * `homelab synth` renders each Terraform stack without cdktf's "preparing" resolve pass
 * (lib/terraform/terraform-projection.ts, stackJson). These tests show where that is used that the
 * pass changes nothing: the same bytes with and without it, and no stack that refers to a
 * resource outside itself (the one thing the pass acts on, cdktf 0.21 tfExpression.js
 * Reference.resolve).
 */
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildGeneratedLab } from '../../bench/generated-lab';
import { buildReferenceLab } from '../../apps/reference-lab';
import { Homelab, withSharedIndexes } from '../../lib/internal';
import { buildTerraformStacks, renderTerraformStacks, stableJson, stackJson } from '../../lib/terraform/terraform-projection';

/** Every stack's JSON, rendered in fresh stacks with or without the preparing pass. */
function render(lab: Homelab, preparingPass: boolean): Map<string, string> {
  return withSharedIndexes(lab, () => {
    const root = new Construct(undefined as unknown as Construct, '');
    root.node.setContext('cdktfVersion', (require('cdktf/package.json') as { version: string }).version);
    return new Map(buildTerraformStacks(lab, root).map((stack) => [stack.node.id, stableJson(stackJson(stack, { preparingPass }))]));
  });
}

/** `${type.name…}` references of a stack's JSON that name no resource or data source of that stack. */
function foreignReferences(json: string): string[] {
  const tf = JSON.parse(json) as { resource?: Record<string, Record<string, unknown>>; data?: Record<string, Record<string, unknown>> };
  const foreign: string[] = [];
  for (const m of json.matchAll(/\$\{(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g)) {
    const [, data, type, name] = m;
    if (!data && ['var', 'local', 'each', 'count', 'path', 'terraform', 'self'].includes(type)) {
      continue;
    }
    const declared = data ? tf.data?.[type]?.[name] : tf.resource?.[type]?.[name];
    if (declared === undefined) {
      foreign.push(m[0]);
    }
  }
  return foreign;
}

describe("Terraform stacks without cdktf's preparing pass", () => {
  const labs: Array<[string, () => Homelab]> = [
    ['the reference lab', () => buildReferenceLab().lab],
    ['a generated lab of 100 VMs in 10 stacks', () => buildGeneratedLab(100).lab],
  ];

  for (const [what, build] of labs) {
    it(`are byte-identical to the output with it: ${what}`, () => {
      const without = render(build(), false);
      const withPass = render(build(), true);
      expect(without.size).toBeGreaterThan(0);
      expect([...without.keys()]).toEqual([...withPass.keys()]);
      for (const [stack, json] of without) {
        expect(json, stack).toBe(withPass.get(stack));
      }
    });

    it(`refer only to resources of their own stack: ${what}`, () => {
      const stacks = render(build(), false);
      const references = [...stacks.values()].flatMap((json) => [...json.matchAll(/\$\{/g)]);
      expect(references.length).toBeGreaterThan(0);
      for (const [stack, json] of stacks) {
        expect(foreignReferences(json), stack).toEqual([]);
      }
    });
  }

  it('are what homelab synth writes', () => {
    const lab = buildReferenceLab().lab;
    const written = withSharedIndexes(lab, () => renderTerraformStacks(lab));
    expect(new Map(written.map((f) => [f.path.replace(/\/cdk\.tf\.json$/, ''), f.content]))).toEqual(render(buildReferenceLab().lab, true));
  });

  it('would see a reference to another stack (the check of the test can fail)', () => {
    expect(foreignReferences(JSON.stringify({ resource: { a: { x: { id: '${b.y.id}' } } } }))).toEqual(['${b.y']);
    expect(foreignReferences(JSON.stringify({ resource: { a: { x: { id: '${a.x.id}' } } } }))).toEqual([]);
  });
});
