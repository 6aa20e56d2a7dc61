/**
 * Turns the typed (camelCase) configuration of a bpg/proxmox binding into the provider's
 * Terraform JSON, following the schema exactly: attribute and block names, single blocks
 * (`max_items: 1`) as one object, other blocks as lists, and attributes-as-blocks
 * (`network_device`) as a list of objects that carries every key, `null` for the unset ones
 * (Terraform rejects a missing key there).
 */
import { Tokenization } from 'cdktf';

/** An attribute given as a list of objects (SDK `ConfigMode: attr`), with all its keys. */
export interface ObjectListSpec {
  /** The Terraform name. */
  readonly tf: string;
  /** Every key of the objects, camelCase → Terraform name. */
  readonly keys: Readonly<Record<string, string>>;
}

/** A nested block. */
export interface NestedBlockSpec {
  /** The Terraform name. */
  readonly tf: string;
  /** At most one item (`max_items: 1`): written as a single object. */
  readonly single: boolean;
  /** The block's own schema. */
  readonly block: BlockSpec;
}

/** What the encoder needs to know about a block (or a resource's body). */
export interface BlockSpec {
  /** Attributes, camelCase → Terraform name. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Attributes-as-blocks. */
  readonly objectLists?: Readonly<Record<string, ObjectListSpec>>;
  /** Nested blocks. */
  readonly blocks?: Readonly<Record<string, NestedBlockSpec>>;
}

/** The meta-arguments of a resource config, which cdktf writes itself. */
const META_ARGUMENTS = new Set(['dependsOn', 'count', 'provider', 'lifecycle', 'forEach', 'provisioners', 'connection']);

/**
 * Encodes a resource's or provider's configuration (meta-arguments are left to cdktf).
 * @param what the resource type, for messages
 */
export function encodeConfig(config: object, spec: BlockSpec, what: string): Record<string, unknown> {
  const body = Object.fromEntries(Object.entries(config).filter(([k]) => !META_ARGUMENTS.has(k)));
  return encodeBlock(body, spec, what);
}

/** Encodes one block body. Throws on a key the schema does not have. */
export function encodeBlock(value: Record<string, unknown>, spec: BlockSpec, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) {
      continue;
    }
    const objectList = spec.objectLists?.[key];
    const block = spec.blocks?.[key];
    if (key in spec.attributes) {
      out[spec.attributes[key]] = v;
    } else if (objectList) {
      out[objectList.tf] = Tokenization.isResolvable(v) ? v : asList(v, `${path}.${objectList.tf}`).map((item) => fillObject(item, objectList));
    } else if (block) {
      const at = `${path}.${block.tf}`;
      if (Tokenization.isResolvable(v)) {
        out[block.tf] = v;
      } else if (block.single) {
        out[block.tf] = encodeBlock(asObject(v, at), block.block, at);
      } else {
        out[block.tf] = asList(v, at).map((item, i) => encodeBlock(asObject(item, `${at}[${i}]`), block.block, `${at}[${i}]`));
      }
    } else {
      throw new Error(`${path}: "${key}" is not an attribute or block of the schema`);
    }
  }
  return out;
}

/** One object of an attribute-as-block list: every key, `null` where unset. */
function fillObject(item: unknown, spec: ObjectListSpec): Record<string, unknown> {
  if (Tokenization.isResolvable(item)) {
    return item as unknown as Record<string, unknown>;
  }
  const given = asObject(item, spec.tf);
  const unknown = Object.keys(given).filter((k) => !(k in spec.keys));
  if (unknown.length > 0) {
    throw new Error(`${spec.tf}: ${unknown.map((k) => `"${k}"`).join(', ')} not in the schema`);
  }
  const out: Record<string, unknown> = {};
  for (const [camel, tf] of Object.entries(spec.keys)) {
    out[tf] = given[camel] ?? null;
  }
  return out;
}

function asList(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) {
    throw new Error(`${path}: expected a list`);
  }
  return v;
}

function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(`${path}: expected an object`);
  }
  return v as Record<string, unknown>;
}
