/**
 * `homelab init [dir]`: a user's own homelab repository in one command, the way projen and
 * `cdk init` start one. It writes a package.json that pins this library and the libraries the
 * entry files import (cdktf, cdk8s, constructs) to the versions this library is built with, a
 * tsconfig that type-checks the lab strictly, the starter lab (the tested minimal example), the
 * `homelab.app` key that makes `homelab synth` find it without `--app`, cdktf.json and cdk8s.yaml
 * with their entry files, a .gitignore for outputs and keys, and npm scripts for synth, check,
 * diff and deploy. It never overwrites a file: any one already there is an error naming it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { problem, Severity, ValidationError } from '../core/validation';

/** Options of {@link initProject}. */
export interface InitOptions {
  /**
   * How package.json names this library: a version range, a tarball path, or a git URL.
   * @default - "^<this version>"
   */
  readonly packageSpec?: string;
  /**
   * The project's name in package.json.
   * @default - the folder's name
   */
  readonly name?: string;
  /**
   * Which Terraform CDK the project uses: HashiCorp's `cdktf` (deprecated by its vendor on
   * 2025-12-10, the last release 0.21) or its maintained fork CDK Terrain (`cdktn`), which the
   * project then installs under the name `cdktf` (an npm alias and override), so that this
   * library, the generated bindings and the project's own `cdktf.ts` all load the same copy.
   * CDK Terrain's CLI needs Node.js 22.19 or later.
   * @default TerraformCdk.CDKTF
   */
  readonly terraformCdk?: TerraformCdk;
}

/** The Terraform CDKs a project of {@link initProject} can use. */
export enum TerraformCdk {
  /** HashiCorp's cdktf 0.21 with cdktf-cli: what this library is built and tested with. */
  CDKTF = 'cdktf',
  /** CDK Terrain (open-constructs/cdk-terrain), the maintained drop-in fork, with its cdktn CLI. */
  CDKTN = 'cdktn',
}

/**
 * The CDK Terrain release a new project pins. Its `cdktn` library has the API of cdktf 0.21 (the
 * JSON differs only in the version it records); its peer range for constructs is >=10.6 <10.8,
 * which is why this library pins constructs 10.7. `test/package/cdk-terrain.test.ts` installs it.
 */
export const CDK_TERRAIN_VERSION = '0.24.0';

/** The oldest Node.js that CDK Terrain's CLI (cdktn-cli's `engines`) runs on. */
export const CDK_TERRAIN_NODE = '>=22.19.0';

/** What {@link initProject} wrote. */
export interface InitResult {
  /** The project folder, absolute. */
  readonly dir: string;
  /** The files written, relative to it, sorted. */
  readonly files: readonly string[];
}

/** This package's root (with package.json and examples/), from the compiled or the source file. */
const PACKAGE_ROOT = path.resolve(__dirname, fs.existsSync(path.resolve(__dirname, '../../package.json')) ? '../..' : '../../..');

/** The package.json key that names the app for `homelab synth`, `diff`, `validate` and `diagram`. */
export const APP_CONFIG_KEY = 'homelab';

/** The app file a package.json in `dir` names under `homelab.app`, or undefined. */
export function configuredApp(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { homelab?: { app?: unknown } };
    return typeof pkg.homelab?.app === 'string' ? pkg.homelab.app : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a new homelab repository into `dir` (created if needed). */
export function initProject(dir: string, options: InitOptions = {}): InitResult {
  const root = path.resolve(dir);
  const files = projectFiles(options.name ?? path.basename(root), options.packageSpec, options.terraformCdk ?? TerraformCdk.CDKTF);
  const existing = Object.keys(files).filter((f) => fs.existsSync(path.join(root, f)));
  if (existing.length > 0) {
    throw new ValidationError({
      errors: existing.map((f) => ({
        path: path.join(dir, f),
        message: problem('is already there; homelab init never overwrites a file', 'run it in an empty or new folder (homelab init my-lab)'),
        severity: Severity.ERROR,
      })),
      warnings: [],
    });
  }
  fs.mkdirSync(root, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(root, file), content, { flag: 'wx' });
  }
  return { dir: root, files: Object.keys(files).sort() };
}

/** The files of a new project, by path. */
function projectFiles(name: string, packageSpec: string | undefined, terraformCdk: TerraformCdk): Record<string, string> {
  const own = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const pin = (dep: string) => own.dependencies[dep] ?? own.devDependencies[dep];
  const terrain = terraformCdk === TerraformCdk.CDKTN;
  // CDK Terrain under cdktf's name: the alias for the project's own imports, the override for
  // this library's dependency, so that npm installs one copy that both load.
  const cdktf = terrain ? `npm:cdktn@${CDK_TERRAIN_VERSION}` : pin('cdktf');
  const tfCli = terrain ? 'cdktn' : 'cdktf';
  const packageJson = {
    name: npmName(name),
    version: '0.1.0',
    private: true,
    description: `The homelab ${name}, described with homelab-cdk`,
    scripts: {
      synth: 'homelab synth',
      diff: 'homelab diff',
      check: 'homelab validate --strict --type-check',
      // cdktf and cdk8s otherwise ask the network for news and upgrades on every run.
      'synth:terraform': `CHECKPOINT_DISABLE=1 ${tfCli} synth`,
      'synth:k8s': 'CDK8S_CHECK_UPGRADE=false cdk8s synth',
      deploy: `homelab synth && CHECKPOINT_DISABLE=1 ${tfCli} deploy --auto-approve '*'`,
    },
    [APP_CONFIG_KEY]: { app: 'lab.ts' },
    dependencies: {
      [own.name]: packageSpec ?? `^${own.version}`,
      // The entry files import these: the versions this library is built and tested with.
      cdk8s: pin('cdk8s'),
      'cdk8s-plus-28': pin('cdk8s-plus-28'),
      cdktf,
      constructs: pin('constructs'),
    },
    devDependencies: {
      '@types/node': pin('@types/node'),
      'cdk8s-cli': pin('cdk8s-cli'),
      ...(terrain ? { 'cdktn-cli': CDK_TERRAIN_VERSION } : { 'cdktf-cli': pin('cdktf-cli') }),
      tsx: pin('tsx'),
      typescript: pin('typescript'),
    },
    ...(terrain ? { overrides: { cdktf }, engines: { node: CDK_TERRAIN_NODE } } : {}),
  };
  const tsconfig = {
    compilerOptions: {
      // node16 resolution (not the removed "node"): what TypeScript 5 and later both take.
      target: 'ES2022',
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      noUnusedLocals: true,
      noImplicitReturns: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      noEmit: true,
    },
    include: ['*.ts'],
  };
  const lab = fs.readFileSync(path.join(PACKAGE_ROOT, 'examples/minimal-lab/lab.ts'), 'utf8');
  return {
    'package.json': json(packageJson),
    'tsconfig.json': json(tsconfig),
    'lab.ts': lab,
    'cdktf.json': json({
      language: 'typescript',
      app: 'npx tsx cdktf.ts',
      output: 'cdktf.out',
      projectId: `homelab-${npmName(name)}`,
      sendCrashReports: 'false',
      terraformProviders: [],
      terraformModules: [],
      context: {},
    }),
    'cdktf.ts': [
      '// The entry point of `cdktf synth` / `cdktf deploy` (cdktf.json): the lab\'s Terraform stacks,',
      '// validated by homelab-cdk first. `homelab synth` writes the same JSON to dist/terraform.',
      "import { App } from 'cdktf';",
      "import { synthesizeTerraformApp } from 'homelab-cdk/terraform';",
      "import buildLab from './lab';",
      '',
      'synthesizeTerraformApp(buildLab(), new App({ skipValidation: true }));',
      '',
    ].join('\n'),
    'cdk8s.yaml': [
      '# `cdk8s synth` writes the lab\'s Kubernetes manifests into dist/k8s, where `homelab synth`',
      '# writes the same files. cdk8s empties its output folder first: it names dist/k8s only.',
      'language: typescript',
      'app: npx tsx cdk8s.ts',
      'output: dist/k8s',
      '',
    ].join('\n'),
    'cdk8s.ts': [
      '// The app that `cdk8s synth` runs (cdk8s.yaml): the lab\'s Kubernetes manifests.',
      "import { synthKubernetesApp } from 'homelab-cdk/kubernetes';",
      "import buildLab from './lab';",
      '',
      'synthKubernetesApp(buildLab());',
      '',
    ].join('\n'),
    '.gitignore': [
      'node_modules/',
      'cdktf.out/',
      '.terraform/',
      '*.tfstate',
      '*.tfstate.*',
      '# Private keys (SSH host keys, age identities) stay out of git; encrypted secrets go in.',
      'keys/',
      '*.key',
      '# dist/ is generated; commit dist/nix (with its flake.lock) if your hosts deploy from git.',
      'dist/terraform/',
      'dist/k8s/',
      '',
    ].join('\n'),
    'README.md': [
      `# ${name}`,
      '',
      'A homelab described with [homelab-cdk](https://www.npmjs.com/package/homelab-cdk): edit `lab.ts`, then',
      '',
      '```sh',
      'npm install',
      'npm run check    # type-check the lab and validate it (warnings are errors)',
      'npm run diff     # what the next synth changes',
      'npm run synth    # dist/nix (NixOS flake), dist/terraform (Proxmox VMs), dist/k8s (manifests)',
      '```',
      '',
      'Replace every value marked EXAMPLE in `lab.ts` with your own.',
      '',
      ...(terrain
        ? [
            `The Terraform side runs on CDK Terrain ${CDK_TERRAIN_VERSION} (\`npx cdktn synth\`, Node.js 22.19 or later), installed`,
            'under the name `cdktf` (see `overrides` in package.json), so `cdktf.ts` imports it from \'cdktf\'.',
            '',
          ]
        : []),
    ].join('\n'),
  };
}

/** A package name npm accepts, from a folder name. */
function npmName(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|[-]+$/g, '');
  return cleaned || 'my-homelab';
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
