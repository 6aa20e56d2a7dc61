/**
 * Generates the typed cdktf bindings of the bpg/proxmox provider (lib/terraform/proxmox/*.generated.ts)
 * and the test fixture schema (test/terraform/fixtures/bpg-proxmox.schema.json) from the provider's
 * schema in the shape of `terraform providers schema -json`.
 *
 *   npx tsx tools/generate-proxmox-bindings.ts [path/to/bpg-proxmox.schema.json]
 *
 * The default schema is tools/schemas/bpg-proxmox.schema.json, a copy kept in the repository (so
 * a clone can regenerate; test/terraform/bindings-generated.test.ts checks that the committed
 * bindings are what it generates). After a provider upgrade, replace that copy and rerun.
 *
 *   npx tsx tools/generate-proxmox-bindings.ts --check   # exits 1 when a generated file differs
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const PROVIDER = 'registry.terraform.io/bpg/proxmox';

/** The resources we bind: Terraform type → class name and file. */
const RESOURCES: ReadonlyArray<{ type: string; className: string; file: string }> = [
  { type: 'proxmox_virtual_environment_vm', className: 'ProxmoxVirtualEnvironmentVm', file: 'virtual-environment-vm' },
  { type: 'proxmox_download_file', className: 'ProxmoxDownloadFile', file: 'download-file' },
  { type: 'proxmox_virtual_environment_file', className: 'ProxmoxVirtualEnvironmentFile', file: 'virtual-environment-file' },
  { type: 'proxmox_backup_job', className: 'ProxmoxBackupJob', file: 'backup-job' },
  { type: 'proxmox_storage_zfspool', className: 'ProxmoxStorageZfspool', file: 'storage-zfspool' },
  { type: 'proxmox_storage_lvmthin', className: 'ProxmoxStorageLvmthin', file: 'storage-lvmthin' },
  { type: 'proxmox_hagroup', className: 'ProxmoxHagroup', file: 'hagroup' },
  { type: 'proxmox_haresource', className: 'ProxmoxHaresource', file: 'haresource' },
];

/** Members of cdktf's TerraformResource that a computed-attribute getter must not shadow. */
const RESERVED_GETTERS = new Set(['node', 'count', 'provider', 'lifecycle', 'dependsOn', 'forEach', 'connection', 'provisioners', 'fqn', 'friendlyUniqueId', 'terraformResourceType', 'terraformMetaArguments', 'stack']);

type TfType = string | [string, TfType] | [string, Record<string, TfType>];

interface Attribute {
  /** Absent for a framework nested attribute, which has `nested_type` instead. */
  type?: TfType;
  nested_type?: { attributes: Record<string, Attribute>; nesting_mode: string };
  description?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  deprecated?: boolean;
  x_default?: unknown;
  x_default_env?: string[];
  x_config_mode?: string;
  x_object_attributes?: Record<string, Attribute>;
  x_deprecation_message?: string;
  x_implicit?: boolean;
  x_enum?: unknown[];
  x_range?: [number | null, number | null];
}

interface Block {
  attributes?: Record<string, Attribute>;
  block_types?: Record<string, { nesting_mode: string; min_items?: number; max_items?: number; block: Block; x_default?: unknown }>;
  deprecated?: boolean;
  description?: string;
}

/** The schema kept in the repository. */
export const SCHEMA_FILE = path.join(ROOT, 'tools/schemas/bpg-proxmox.schema.json');

/** Every generated file (absolute path → content) for the schema at `schemaPath`. */
export function generateBindings(schemaPath: string = SCHEMA_FILE): Map<string, string> {
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  const provider = schema.provider_schemas[PROVIDER];
  const version: string = schema.x_source.provider_version;
  const outDir = path.join(ROOT, 'lib/terraform/proxmox');
  const files = new Map<string, string>();
  files.set(path.join(outDir, 'provider.generated.ts'), providerFile(provider.provider.block, version));
  for (const r of RESOURCES) {
    files.set(path.join(outDir, `${r.file}.generated.ts`), resourceFile(r.type, r.className, provider.resource_schemas[r.type].block, version));
  }
  files.set(path.join(ROOT, 'test/terraform/fixtures/bpg-proxmox.schema.json'), JSON.stringify(fixture(schema), null, 1) + '\n');
  return files;
}

function main(): void {
  const args = process.argv.slice(2);
  const files = generateBindings(path.resolve(args.find((a) => !a.startsWith('--')) ?? SCHEMA_FILE));
  if (args.includes('--check')) {
    const stale = [...files].filter(([file, content]) => !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content).map(([file]) => path.relative(ROOT, file));
    if (stale.length > 0) {
      process.stderr.write(`out of date: ${stale.join(', ')}; run npx tsx tools/generate-proxmox-bindings.ts\n`);
      process.exit(1);
    }
    return;
  }
  for (const [file, content] of files) {
    write(file, content);
  }
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
}

// ---------------------------------------------------------------------------------------------

function header(version: string): string {
  return [
    '// Generated by tools/generate-proxmox-bindings.ts from the bpg/proxmox provider schema',
    `// (release v${version}). Do not edit: change the generator and rerun it.`,
    '/* eslint-disable */',
    "import { Construct } from 'constructs';",
    "import * as cdktf from 'cdktf';",
    "import { BlockSpec, encodeConfig } from './encode';",
    '',
  ].join('\n');
}

function providerFile(block: Block, version: string): string {
  const out: string[] = [header(version)];
  out.push('/** The provider release these bindings follow. */', `export const PROXMOX_PROVIDER_VERSION = ${JSON.stringify(version)};`, '');
  const interfaces: string[] = [];
  const spec = blockInterfaces('ProxmoxProvider', block, interfaces, { top: true, extendsMeta: false, extraFields: ['  /** Alias of this provider configuration (for several endpoints in one stack). */', '  readonly alias?: string;'] });
  out.push(...interfaces);
  out.push(`const PROVIDER_SPEC: BlockSpec = ${spec};`, '');
  out.push(
    `/** The bpg/proxmox provider (\`provider "proxmox"\`), pinned to v${version}. */`,
    'export class ProxmoxProvider extends cdktf.TerraformProvider {',
    '  /** The provider\'s Terraform type name. */',
    "  public static readonly tfResourceType = 'proxmox';",
    '',
    '  private readonly config: ProxmoxProviderConfig;',
    '',
    '  public constructor(scope: Construct, id: string, config: ProxmoxProviderConfig = {}) {',
    '    super(scope, id, {',
    "      terraformResourceType: 'proxmox',",
    `      terraformGeneratorMetadata: { providerName: 'proxmox', providerVersion: PROXMOX_PROVIDER_VERSION },`,
    "      terraformProviderSource: 'bpg/proxmox',",
    '    });',
    '    this.config = config;',
    '    this.alias = config.alias;',
    '  }',
    '',
    '  /** The provider block\'s attributes, in the provider\'s snake_case names (called by cdktf). */',
    '  protected override synthesizeAttributes(): { [name: string]: any } {',
    '    const { alias: _alias, ...config } = this.config;',
    "    return encodeConfig(config, PROVIDER_SPEC, 'provider.proxmox');",
    '  }',
    '}',
    '',
  );
  return out.join('\n');
}

function resourceFile(type: string, className: string, block: Block, version: string): string {
  const out: string[] = [header(version)];
  out.push("import { PROXMOX_PROVIDER_VERSION } from './provider.generated';", '');
  const interfaces: string[] = [];
  const spec = blockInterfaces(`${className}`, block, interfaces, { top: true, extendsMeta: true, extraFields: [] });
  out.push(...interfaces);
  out.push(`const SPEC: BlockSpec = ${spec};`, '');
  const getters: string[] = [];
  for (const [name, a] of sorted(block.attributes)) {
    if (!a.computed || a.type === undefined || RESERVED_GETTERS.has(camel(name))) {
      continue;
    }
    getters.push(...doc(a, '  ', `The \`${name}\` attribute, as a reference.`), `  public get ${camel(name)}(): ${getterType(a.type)} {`, `    return ${getterCall(a.type, name)};`, '  }', '');
  }
  out.push(
    `/** \`resource "${type}"\` of the bpg/proxmox provider. */`,
    `export class ${className} extends cdktf.TerraformResource {`,
    '  /** The resource\'s Terraform type name. */',
    `  public static readonly tfResourceType = ${JSON.stringify(type)};`,
    '',
    `  private readonly config: ${className}Config;`,
    '',
    `  public constructor(scope: Construct, id: string, config: ${className}Config) {`,
    '    super(scope, id, {',
    `      terraformResourceType: ${JSON.stringify(type)},`,
    `      terraformGeneratorMetadata: { providerName: 'proxmox', providerVersion: PROXMOX_PROVIDER_VERSION },`,
    '      provider: config.provider,',
    '      dependsOn: config.dependsOn,',
    '      count: config.count,',
    '      lifecycle: config.lifecycle,',
    '      provisioners: config.provisioners,',
    '      connection: config.connection,',
    '      forEach: config.forEach,',
    '    });',
    '    this.config = config;',
    '  }',
    '',
    ...getters,
    '  /** The resource\'s attributes and blocks, in the provider\'s snake_case names (called by cdktf). */',
    '  protected override synthesizeAttributes(): { [name: string]: any } {',
    `    return encodeConfig(this.config, SPEC, ${JSON.stringify(type)});`,
    '  }',
    '}',
    '',
  );
  return out.join('\n');
}

interface InterfaceOptions {
  readonly top: boolean;
  readonly extendsMeta: boolean;
  readonly extraFields: string[];
}

/**
 * Writes the interface of a block (and of its nested blocks, depth first) into `out` and returns
 * the source of its BlockSpec literal.
 */
function blockInterfaces(name: string, block: Block, out: string[], options: InterfaceOptions): string {
  const interfaceName = options.top ? `${name}Config` : name;
  const fields: string[] = [...options.extraFields];
  const attributes: string[] = [];
  const objectLists: string[] = [];
  const blocks: string[] = [];
  const nested: string[] = [];

  for (const [tf, a] of sorted(block.attributes)) {
    if (isComputedOnly(a) || (a.x_implicit && tf === 'id')) {
      continue;
    }
    const key = camel(tf);
    if (a.nested_type) {
      // A framework nested attribute (`fleecing = { … }` of proxmox_backup_job): in JSON, a single
      // one is written as an object, exactly like a single block, so it is bound as one.
      if (a.nested_type.nesting_mode !== 'single') {
        throw new Error(`${name}.${tf}: nested attributes of mode ${a.nested_type.nesting_mode} are not supported`);
      }
      const childName = `${name}${pascal(tf)}`;
      const childSpec = blockInterfaces(childName, { attributes: a.nested_type.attributes }, nested, { top: false, extendsMeta: false, extraFields: [] });
      fields.push(...doc(a, '  ', ''), `  readonly ${key}${a.required ? '' : '?'}: ${childName} | cdktf.IResolvable;`);
      blocks.push(`${key}: { tf: ${JSON.stringify(tf)}, single: true, block: ${childSpec} }`);
      continue;
    }
    if (a.x_config_mode === 'attr' && a.x_object_attributes) {
      const itemName = `${name}${pascal(tf)}`;
      const itemFields: string[] = [];
      const keys: string[] = [];
      for (const [ktf, ka] of sorted(a.x_object_attributes)) {
        itemFields.push(...doc(ka, '  ', ''), `  readonly ${camel(ktf)}?: ${tsType(ka.type!)};`);
        keys.push(`${camel(ktf)}: ${JSON.stringify(ktf)}`);
      }
      nested.push(
        `/** One item of \`${tf}\` (an attribute given as a list of objects: every key is written, \`null\` when unset). */`,
        `export interface ${itemName} {`,
        ...itemFields,
        '}',
        '',
      );
      fields.push(...doc(a, '  ', ''), `  readonly ${key}${a.required ? '' : '?'}: ${itemName}[] | cdktf.IResolvable;`);
      objectLists.push(`${key}: { tf: ${JSON.stringify(tf)}, keys: { ${keys.join(', ')} } }`);
      continue;
    }
    fields.push(...doc(a, '  ', ''), `  readonly ${key}${a.required ? '' : '?'}: ${tsType(a.type!)};`);
    attributes.push(`${key}: ${JSON.stringify(tf)}`);
  }

  for (const [tf, bt] of sorted(block.block_types)) {
    const key = camel(tf);
    const childName = `${name}${pascal(tf)}`;
    const childSpec = blockInterfaces(childName, bt.block, nested, { top: false, extendsMeta: false, extraFields: [] });
    const single = bt.max_items === 1;
    const required = (bt.min_items ?? 0) > 0;
    const limits = [bt.min_items ? `at least ${bt.min_items}` : '', bt.max_items && bt.max_items > 1 ? `at most ${bt.max_items}` : ''].filter(Boolean).join(', ');
    fields.push(
      ...docLines(`The \`${tf}\` block${single ? ' (at most one)' : limits ? ` (${limits})` : ''}.`, bt.block.deprecated ? 'deprecated' : undefined, '  '),
      `  readonly ${key}${required ? '' : '?'}: ${single ? childName : `${childName}[]`} | cdktf.IResolvable;`,
    );
    blocks.push(`${key}: { tf: ${JSON.stringify(tf)}, single: ${single}, block: ${childSpec} }`);
  }

  const heritage = options.extendsMeta ? ' extends cdktf.TerraformMetaArguments' : '';
  out.push(...nested);
  out.push(`/** ${options.top ? 'Configuration' : 'A block'} of \`${name}\`. */`, `export interface ${interfaceName}${heritage} {`, ...fields, '}', '');
  const parts = [`attributes: { ${attributes.join(', ')} }`];
  if (objectLists.length) parts.push(`objectLists: { ${objectLists.join(', ')} }`);
  if (blocks.length) parts.push(`blocks: { ${blocks.join(', ')} }`);
  return `{ ${parts.join(', ')} }`;
}

function isComputedOnly(a: Attribute): boolean {
  return Boolean(a.computed && !a.optional && !a.required);
}

function tsType(t: TfType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return 'string';
      case 'number':
        return 'number';
      case 'bool':
        return 'boolean | cdktf.IResolvable';
      default:
        throw new Error(`unknown type ${t}`);
    }
  }
  const [kind, elem] = t;
  if (kind === 'list' || kind === 'set') {
    const inner = tsType(elem as TfType);
    return inner.includes('|') ? `Array<${inner}>` : `${inner}[]`;
  }
  if (kind === 'map') {
    return `Record<string, ${tsType(elem as TfType)}>`;
  }
  if (kind === 'object') {
    const members = Object.entries(elem as Record<string, TfType>).map(([k, v]) => `${camel(k)}?: ${tsType(v)}`);
    return `{ ${members.join('; ')} }`;
  }
  throw new Error(`unknown type ${JSON.stringify(t)}`);
}

function getterType(t: TfType): string {
  if (t === 'string') return 'string';
  if (t === 'number') return 'number';
  if (t === 'bool') return 'cdktf.IResolvable';
  if (Array.isArray(t) && (t[0] === 'list' || t[0] === 'set') && t[1] === 'string') return 'string[]';
  if (Array.isArray(t) && (t[0] === 'list' || t[0] === 'set') && t[1] === 'number') return 'number[]';
  return 'cdktf.IResolvable';
}

function getterCall(t: TfType, name: string): string {
  const n = JSON.stringify(name);
  if (t === 'string') return `this.getStringAttribute(${n})`;
  if (t === 'number') return `this.getNumberAttribute(${n})`;
  if (t === 'bool') return `this.getBooleanAttribute(${n})`;
  if (Array.isArray(t) && (t[0] === 'list' || t[0] === 'set') && t[1] === 'string') return `this.getListAttribute(${n})`;
  if (Array.isArray(t) && (t[0] === 'list' || t[0] === 'set') && t[1] === 'number') return `this.getNumberListAttribute(${n})`;
  return `this.interpolationForAttribute(${n})`;
}

function doc(a: Attribute, indent: string, fallback: string): string[] {
  const text = (a.description ?? fallback).trim();
  const extra: string[] = [];
  if (a.x_default !== undefined) extra.push(`@default ${JSON.stringify(a.x_default)}`);
  if (a.x_default_env?.length) extra.push(`(read from ${a.x_default_env.join(' or ')} when unset)`);
  if (a.sensitive) extra.push('Sensitive: give a reference (a variable), never a value.');
  const deprecated = a.deprecated ? `deprecated ${a.x_deprecation_message ?? ''}`.trim() : undefined;
  return docLines([text, ...extra].filter(Boolean).join('\n'), deprecated, indent);
}

function docLines(text: string, deprecated: string | undefined, indent: string): string[] {
  const lines = text.replace(/\*\//g, '*\\/').split('\n').filter((l) => l.trim() !== '');
  if (deprecated) lines.push(`@${deprecated.replace(/\*\//g, '*\\/')}`);
  if (lines.length === 0) return [];
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`];
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function pascal(name: string): string {
  const c = camel(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

function sorted<T>(record: Record<string, T> | undefined): Array<[string, T]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------

/** The schema without descriptions, for the tests (which must not read ../shared). */
function fixture(schema: any): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          // The text of descriptions, not attributes named "description" (their value is an object).
          .filter(([k, x]) => !((k === 'description' || k === 'description_kind') && typeof x === 'string'))
          .map(([k, x]) => [k, strip(x)]),
      );
    }
    return v;
  };
  return {
    about: 'bpg/proxmox provider schema (descriptions removed), generated by tools/generate-proxmox-bindings.ts from the shared schema file',
    ...(strip(schema) as object),
  };
}

if (require.main === module) {
  main();
}
