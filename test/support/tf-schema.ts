/**
 * Checks Terraform JSON against the bpg/proxmox provider schema (test/terraform/fixtures, the
 * provider's `terraform providers schema -json` without descriptions): every name exists, every
 * value has the schema's type and nesting, required attributes and blocks are there, blocks
 * respect their item limits, attributes-as-blocks carry every key, and values satisfy the enums,
 * ranges and patterns. Returns the problems as `<json path>: <message>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type TfType = string | [string, any];
interface Attribute {
  type: TfType;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  x_sdk_type?: string;
  x_enum?: unknown[];
  x_range?: [number | null, number | null];
  x_pattern?: string;
  x_config_mode?: string;
  x_object_attributes?: Record<string, Attribute>;
  x_not_empty?: boolean;
}
interface Block {
  attributes?: Record<string, Attribute>;
  block_types?: Record<string, { nesting_mode: string; min_items?: number; max_items?: number; block: Block }>;
}

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '../terraform/fixtures/bpg-proxmox.schema.json'), 'utf8'));
const PROVIDER = SCHEMA.provider_schemas['registry.terraform.io/bpg/proxmox'];
const META = new Set(['//', 'depends_on', 'lifecycle', 'count', 'for_each', 'provider', 'connection', 'provisioner']);

/** The provider release of the fixture. */
export const SCHEMA_PROVIDER_VERSION: string = SCHEMA.x_source.provider_version;

/** The schema block of a resource type (for tests that read names from it). */
export function resourceSchema(type: string): Block {
  return PROVIDER.resource_schemas[type].block;
}

/** Problems of a whole Terraform JSON document (provider blocks and proxmox resources). */
export function schemaProblems(doc: any): string[] {
  const problems: string[] = [];
  for (const [i, p] of (doc.provider?.proxmox ?? []).entries()) {
    const { alias: _alias, ...body } = p;
    checkBody(body, PROVIDER.provider.block, `provider.proxmox[${i}]`, problems);
  }
  for (const [type, instances] of Object.entries<any>(doc.resource ?? {})) {
    const schema = PROVIDER.resource_schemas[type];
    if (!type.startsWith('proxmox_')) continue;
    if (!schema) {
      problems.push(`resource.${type}: not a resource type of the schema`);
      continue;
    }
    for (const [name, body] of Object.entries<any>(instances)) {
      checkBody(body, schema.block, `resource.${type}.${name}`, problems);
    }
  }
  return problems;
}

function isExpression(v: unknown): boolean {
  return typeof v === 'string' && /\$\{/.test(v);
}

function checkBody(body: Record<string, unknown>, block: Block, at: string, problems: string[]): void {
  const attributes = block.attributes ?? {};
  const blocks = block.block_types ?? {};
  for (const [key, value] of Object.entries(body)) {
    if (META.has(key)) continue;
    const here = `${at}.${key}`;
    if (key in attributes) {
      checkAttribute(value, attributes[key], here, problems);
    } else if (key in blocks) {
      const bt = blocks[key];
      const items = Array.isArray(value) ? value : value === null ? [] : [value];
      if (isExpression(value)) {
        problems.push(`${here}: a block cannot be an expression`);
        continue;
      }
      if (bt.max_items && items.length > bt.max_items) problems.push(`${here}: ${items.length} blocks, at most ${bt.max_items}`);
      items.forEach((item, i) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) problems.push(`${here}[${i}]: a block must be an object`);
        else checkBody(item as Record<string, unknown>, bt.block, Array.isArray(value) ? `${here}[${i}]` : here, problems);
      });
    } else {
      problems.push(`${here}: no such attribute or block`);
    }
  }
  for (const [name, a] of Object.entries(attributes)) {
    if (a.required && (body[name] === undefined || body[name] === null)) problems.push(`${at}.${name}: required`);
  }
  for (const [name, bt] of Object.entries(blocks)) {
    if ((bt.min_items ?? 0) > 0 && body[name] === undefined) problems.push(`${at}.${name}: required block`);
  }
}

function checkAttribute(value: unknown, a: Attribute, at: string, problems: string[]): void {
  if (a.computed && !a.optional && !a.required) {
    problems.push(`${at}: computed-only, cannot be set`);
    return;
  }
  if (value === null || isExpression(value)) return;
  if (a.x_config_mode === 'attr' && a.x_object_attributes) {
    if (!Array.isArray(value)) {
      problems.push(`${at}: attributes-as-blocks need a JSON array of objects`);
      return;
    }
    const keys = Object.keys(a.x_object_attributes);
    value.forEach((item, i) => {
      const missing = keys.filter((k) => !(k in item));
      if (missing.length) problems.push(`${at}[${i}]: missing keys ${missing.join(', ')} (Terraform requires every key, null when unset)`);
      for (const [k, v] of Object.entries(item)) {
        if (!(k in a.x_object_attributes!)) problems.push(`${at}[${i}].${k}: no such key`);
        else checkAttribute(v, a.x_object_attributes![k], `${at}[${i}].${k}`, problems);
      }
    });
    return;
  }
  checkValue(value, a.type, at, problems, a);
}

function checkValue(value: unknown, type: TfType, at: string, problems: string[], c?: Attribute): void {
  if (value === null || isExpression(value)) return;
  if (typeof type === 'string') {
    const kinds: Record<string, string> = { string: 'string', number: 'number', bool: 'boolean' };
    if (typeof value !== kinds[type]) {
      problems.push(`${at}: expected ${type}, got ${JSON.stringify(value)}`);
      return;
    }
    if (c?.x_sdk_type === 'TypeInt' && !Number.isInteger(value)) problems.push(`${at}: expected a whole number, got ${value}`);
    if (c?.x_enum && !c.x_enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not one of ${JSON.stringify(c.x_enum)}`);
    if (c?.x_pattern && !new RegExp(c.x_pattern).test(String(value))) problems.push(`${at}: ${JSON.stringify(value)} does not match /${c.x_pattern}/`);
    if (c?.x_not_empty && value === '') problems.push(`${at}: must not be empty`);
    if (c?.x_range && typeof value === 'number') {
      const [lo, hi] = c.x_range;
      if ((lo !== null && value < lo) || (hi !== null && value > hi)) problems.push(`${at}: ${value} outside [${lo}, ${hi}]`);
    }
    return;
  }
  const [kind, elem] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(value)) problems.push(`${at}: expected a list`);
    else value.forEach((v, i) => checkValue(v, elem, `${at}[${i}]`, problems));
  } else if (kind === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${at}: expected a map`);
    else for (const [k, v] of Object.entries(value as object)) checkValue(v, elem, `${at}.${k}`, problems);
  } else {
    problems.push(`${at}: type ${JSON.stringify(type)} not handled`);
  }
}
