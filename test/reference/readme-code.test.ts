/**
 * README.md's TypeScript is code that runs as written. Every ```ts block is extracted, compiled
 * strictly with the real TypeScript compiler (`homelab-cdk` resolved to this repository's
 * sources), and run: a complete lab (a default export) is synthesized; a fragment runs on the lab
 * its `<!-- readme-prelude: name -->` marker names (the constructs its comment says exist), which
 * must then validate without errors. A block that stops compiling, or a lab that stops
 * validating, fails here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1QFYlN+n1fxJxVnzJXKcWIXGWwCci+KPGlJTpcIFIC readme@example';

/** What each prelude provides: the constructs a fragment's comment says exist. */
const BASE = `
import { Addressing, Disk, HardwareProfile, Homelab, Host, Size, User, VdevLayout, ZfsPool } from 'homelab-cdk';
export const lab = new Homelab({
  domain: 'home.arpa',
  network: { cidr: '192.168.178.0/24', gateway: '192.168.178.1', dhcpRange: { start: '192.168.178.150', end: '192.168.178.199' } },
});
export const max = new User(lab, 'max', { sudo: true, sshKeys: ['${KEY}'] });
export const maxdata = new Host(lab, 'maxdata', {
  hardware: HardwareProfile.bareMetal({ cpuVendor: 'amd', interfaceName: 'enp3s0' }),
  ipAddress: '192.168.178.97', macAddress: 'a8:a1:59:3c:12:7e', addressing: Addressing.STATIC,
  memory: Size.gibibytes(64), cpuThreads: 16,
});
const disk = (id: string, size: Size) => Disk.byId('/dev/disk/by-id/' + id, { size });
void [Disk, VdevLayout, ZfsPool, disk];
`;
const PRELUDES: Record<string, string> = {
  pool: `${BASE}
export const pool = new ZfsPool(maxdata, 'tank');
pool.addDataVdev({ layout: VdevLayout.MIRROR, devices: [disk('ata-A', Size.terabytes(4)), disk('ata-B', Size.terabytes(4))] });
pool.addCacheVdev({ devices: [disk('nvme-C', Size.gigabytes(500))] });
`,
  storage: `${BASE}
export const nas = maxdata;
export const ids = ['ata-HDD_1', 'ata-HDD_2', 'ata-HDD_3', 'ata-HDD_4'];
export const ssds = [disk('nvme-SSD_1', Size.gigabytes(1000)), disk('nvme-SSD_2', Size.gigabytes(1000))];
export const fast = new ZfsPool(nas, 'fast');
fast.addDataVdev({ layout: VdevLayout.STRIPE, devices: [disk('nvme-FAST_1', Size.terabytes(1))] });
`,
  network: BASE,
  proxmox: `${BASE}
export const tankPool = new ZfsPool(maxdata, 'tank');
tankPool.addDataVdev({ layout: VdevLayout.MIRROR, devices: [disk('ata-A', Size.terabytes(4)), disk('ata-B', Size.terabytes(4))] });
export const k3sNode1 = new Host(lab, 'k3s-node1', { hardware: HardwareProfile.qemuGuest(), ipAddress: '192.168.178.101' });
`,
  cluster: `${BASE}
export const node1 = new Host(lab, 'node1', { hardware: HardwareProfile.qemuGuest(), ipAddress: '192.168.178.101' });
export const node2 = new Host(lab, 'node2', { hardware: HardwareProfile.qemuGuest(), ipAddress: '192.168.178.102' });
export const pi = new Host(lab, 'pi-network', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '192.168.178.10', macAddress: 'dc:a6:32:5b:0e:11', addressing: Addressing.STATIC });
`,
  operations: `${BASE}
import { ProxmoxHost } from 'homelab-cdk';
new ProxmoxHost(maxdata, 'proxmox', { cockpit: true });
const tank = new ZfsPool(maxdata, 'tank');
tank.addDataVdev({ layout: VdevLayout.MIRROR, devices: [disk('ata-A', Size.terabytes(4)), disk('ata-B', Size.terabytes(4))] });
export const vzdump = tank.addDataset('vzdump');
`,
};

interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly prelude?: string;
}

/** Every ```ts block of a Markdown file, with the prelude its marker line names. */
function blocksOf(file: string): Block[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    const marker = /^<!-- readme-prelude: ([a-z-]+)/.exec(lines[i - 1] ?? '');
    blocks.push({ file: path.relative(REPO, file), line: i + 1, code: lines.slice(i + 1, end).join('\n'), prelude: marker?.[1] });
    i = end;
  }
  return blocks;
}

const markdown = [path.join(REPO, 'README.md'), ...fs.readdirSync(path.join(REPO, 'examples'), { recursive: true, withFileTypes: false }).map(String).filter((f) => f.endsWith('.md')).map((f) => path.join(REPO, 'examples', f))];
const blocks = markdown.flatMap(blocksOf);
let dir: string;

beforeAll(() => {
  dir = tempDir('readme-code-');
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2023', 'ES2024.String'], module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'], baseUrl: '.', paths: { 'homelab-cdk': [path.join(REPO, 'lib/index.ts')], 'homelab-cdk/*': [path.join(REPO, 'lib/*.ts')] } },
      include: ['*.ts'],
    }),
  );
  for (const [name, code] of Object.entries(PRELUDES)) fs.writeFileSync(path.join(dir, `prelude-${name}.ts`), code);
  blocks.forEach((block, n) => {
    const names = block.prelude ? Object.keys(preludeExports(PRELUDES[block.prelude])) : [];
    const head = block.prelude ? `import { ${names.join(', ')} } from './prelude-${block.prelude}';\nvoid [${names.join(', ')}];\n` : '';
    fs.writeFileSync(path.join(dir, `block-${n}.ts`), `${head}${block.code}\n${block.code.includes('export ') ? '' : 'export {};\n'}`);
  });
}, 60_000);

/** The names a prelude exports. */
function preludeExports(code: string): Record<string, true> {
  return Object.fromEntries([...code.matchAll(/^export const (\w+)/gm)].map((m) => [m[1], true]));
}

describe("README.md's TypeScript", () => {
  it('has blocks, and every fragment names a prelude that exists', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(7);
    for (const block of blocks) {
      const complete = /export default/.test(block.code);
      expect(complete || block.prelude !== undefined, `${block.file}:${block.line} is a fragment without a readme-prelude marker`).toBe(true);
      if (block.prelude) expect(PRELUDES[block.prelude], `${block.file}:${block.line}`).toBeDefined();
    }
  });

  it('compiles strictly, as written', () => {
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { encoding: 'utf8' });
    const located = (r.stdout + r.stderr).replace(/block-(\d+)\.ts\((\d+)/g, (_m, n: string, line: string) => {
      const block = blocks[Number(n)];
      const offset = block.prelude ? 2 : 0;
      return `${block.file}:${block.line + Number(line) - offset} (block-${n}.ts(${line}`;
    });
    expect(located).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('runs: complete labs synthesize, fragments leave their lab valid', () => {
    blocks.forEach((block, n) => {
      const runner = path.join(dir, `run-${n}.ts`);
      fs.writeFileSync(
        runner,
        [
          "import { renderLab, validateLab, Homelab } from 'homelab-cdk';",
          block.prelude ? `import { lab } from './prelude-${block.prelude}';` : '',
          `import * as block from './block-${n}';`,
          'const exported = (block as any).default;',
          `const target: Homelab = ${block.prelude ? 'lab' : "typeof exported === 'function' ? exported() : exported"};`,
          'const errors = validateLab(target).errors.map((f) => `${f.path}: ${f.message}`);',
          'if (errors.length === 0) renderLab(target);',
          'process.stdout.write(JSON.stringify(errors));',
        ].join('\n'),
      );
      // No deprecations: on Node 22+, cdktf's own use of util.isArray is no concern of the README.
      const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --no-deprecation`.trim() };
      const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/tsx/dist/cli.mjs'), '--tsconfig', path.join(dir, 'tsconfig.json'), runner], { cwd: dir, encoding: 'utf8', env });
      expect(r.stderr, `${block.file}:${block.line}`).toBe('');
      expect(JSON.parse(r.stdout || '["no output"]'), `${block.file}:${block.line}`).toEqual([]);
    });
  }, 300_000);
});
