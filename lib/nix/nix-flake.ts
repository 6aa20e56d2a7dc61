import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import type { Host } from '../hosts/host';
import { FlakeMonitoring } from './flake-monitoring';
import { NixAttrs, NixExpr } from './nix-value';
import { renderTemplate } from './templates';
import { byText } from '../core/order';
import type { SopsSecretUse } from './renderers/hosts/sops';

/** An input of the generated flake. */
export interface FlakeInput {
  /** The input's name (`home-manager`). */
  readonly name: string;
  /** The default URL; the lab's `nixos.inputUrls` may replace it. */
  readonly url: string;
  /**
   * Make the input use the flake's nixpkgs (`inputs.nixpkgs.follows = "nixpkgs"`).
   * @default true
   */
  readonly followsNixpkgs?: boolean;
}

/** A binary cache that some input's packages come from. */
export interface BinaryCache {
  /** The substituter's URL. */
  readonly url: string;
  /** The public key its paths are signed with (`name:base64`). */
  readonly publicKey: string;
}

/**
 * The content of a file of the flake: the text, or a function that makes it once every renderer
 * has run (for a file made of what other renderers registered, such as the alert rules).
 */
export type FlakeFileContent = string | (() => string);

/** Options of {@link NixFlake.addFile}. */
export interface FlakeFileOptions {
  /**
   * Make the file executable (a script).
   * @default false
   */
  readonly executable?: boolean;
}

interface HostParts {
  readonly host: Host;
  readonly imports: NixExpr[];
  readonly flakeModules: NixExpr[];
  configuration?: NixAttrs;
}

/**
 * The flake being rendered: renderers add inputs, per-host modules, shared modules and scripts;
 * {@link files} then writes `flake.nix` and each host's `configuration.nix`, which imports every
 * module added for the host.
 */
export class NixFlake {
  private readonly inputs = new Map<string, FlakeInput>();
  private readonly hosts = new Map<string, HostParts>();
  private readonly outputFiles = new Map<string, OutputFile>();
  private readonly packages = new Map<string, Map<string, NixExpr>>();
  private readonly caches = new Map<string, BinaryCache>();
  private readonly sopsUses: SopsSecretUse[] = [];
  // The secrets each host already reads (reference and sops file), so that adding a use is not
  // a search of every host's uses: at 1601 hosts that search was quadratic (issue 17).
  private readonly sopsUseKeys = new Map<Host, Set<string>>();
  private readonly laterFiles = new Map<string, { readonly make: () => string; readonly executable: boolean }>();

  /** What the renderers registered for the monitoring: watched units, alert rules, exporter settings, panels. */
  public readonly monitoring = new FlakeMonitoring();

  public constructor(
    /** The lab whose flake this is. */
    public readonly lab: Homelab,
  ) {
    this.addInput({ name: 'nixpkgs', url: `github:NixOS/nixpkgs/nixos-${lab.nixosRelease}`, followsNixpkgs: false });
  }

  /** Adds a flake input; adding the same input twice is fine, with another URL an error. */
  public addInput(input: FlakeInput): void {
    const existing = this.inputs.get(input.name);
    if (existing && existing.url !== input.url) {
      throw new Error(`flake input ${input.name} added with two URLs: ${existing.url} and ${input.url}`);
    }
    this.inputs.set(input.name, input);
  }

  /** Writes `hosts/<host>/<name>.nix` and imports it into the host's configuration. */
  public addHostModule(host: Host, name: string, content: FlakeFileContent): void {
    assertFileName(name);
    this.addFile(`hosts/${host.hostName}/${name}.nix`, content);
    this.partsOf(host).imports.push(NixExpr.path(`./${name}.nix`));
  }

  /** Imports a shared module (see {@link addSharedModule}) into a host's configuration. */
  public importSharedModule(host: Host, name: string): void {
    assertFileName(name);
    const expr = NixExpr.path(`../../modules/${name}.nix`);
    const imports = this.partsOf(host).imports;
    if (!imports.some((e) => e.code === expr.code)) {
      imports.push(expr);
    }
  }

  /** Writes `modules/<name>.nix`, a module several hosts import. */
  public addSharedModule(name: string, content: string): void {
    assertFileName(name);
    this.addFile(`modules/${name}.nix`, content);
  }

  /** Adds a flake input's NixOS module (`inputs.<input>.nixosModules.<module>`) to a host. */
  public addHostFlakeModule(host: Host, input: string, module: string): void {
    if (!this.inputs.has(input)) {
      throw new Error(`flake module ${input}.nixosModules.${module}: add the input ${input} first`);
    }
    const expr = NixExpr.select(`inputs.${input}.nixosModules`, module);
    const modules = this.partsOf(host).flakeModules;
    if (!modules.some((e) => e.code === expr.code)) {
      modules.push(expr);
    }
  }

  /** Sets the settings of the host's `configuration.nix` itself (its identity, users, SSH…). */
  public setHostConfiguration(host: Host, settings: NixAttrs): void {
    this.partsOf(host).configuration = settings;
  }

  /** Adds a file at a path relative to the flake's root. The same content twice is fine. */
  public addFile(path: string, content: FlakeFileContent, options: FlakeFileOptions = {}): void {
    if (typeof content === 'function') {
      if (this.laterFiles.has(path) || this.outputFiles.has(path)) {
        throw new Error(`two files were rendered for ${path}`);
      }
      this.laterFiles.set(path, { make: content, executable: options.executable ?? false });
      return;
    }
    const existing = this.outputFiles.get(path);
    if (this.laterFiles.has(path) || (existing && existing.content !== content)) {
      throw new Error(`two different files were rendered for ${path}`);
    }
    this.outputFiles.set(path, { path, content, executable: options.executable ?? false });
  }

  /**
   * Adds a binary cache to the flake's `nixConfig` (`extra-substituters`,
   * `extra-trusted-public-keys`), which `nix build` and `nixos-anywhere --flake` on the user's
   * machine offer to use (or use with `--accept-flake-config`). The same cache twice is fine.
   */
  public addBinaryCache(cache: BinaryCache): void {
    const existing = this.caches.get(cache.url);
    if (existing && existing.publicKey !== cache.publicKey) {
      throw new Error(`binary cache ${cache.url} added with two keys`);
    }
    this.caches.set(cache.url, cache);
  }

  /** Adds a package output, `packages.<system>.<name>` (an image the flake builds, say). */
  public addPackage(system: string, name: string, value: NixExpr): void {
    const ofSystem = this.packages.get(system) ?? new Map<string, NixExpr>();
    if (ofSystem.has(name)) {
      throw new Error(`two packages were added as packages.${system}.${name}`);
    }
    this.packages.set(system, ofSystem.set(name, value));
  }

  /** Records that a host's configuration reads a sops secret (see renderers/hosts/sops.ts). */
  public addSopsSecretUse(use: SopsSecretUse): void {
    const key = JSON.stringify([use.secret.reference, use.secret.sops?.sopsFile ?? null]);
    let keys = this.sopsUseKeys.get(use.host);
    if (!keys) {
      keys = new Set();
      this.sopsUseKeys.set(use.host, keys);
    }
    if (!keys.has(key)) {
      keys.add(key);
      this.sopsUses.push(use);
    }
  }

  /** Every sops secret a host's configuration reads, in the order the renderers added them. */
  public sopsSecretUses(): readonly SopsSecretUse[] {
    return this.sopsUses;
  }

  /** Is an input declared? */
  public hasInput(name: string): boolean {
    return this.inputs.has(name);
  }

  /** Every file of the flake, `flake.nix` and the hosts' `configuration.nix` included, by path. */
  public files(): OutputFile[] {
    const unknownOverrides = Object.keys(this.lab.flakeInputUrls).filter((name) => !this.inputs.has(name));
    if (unknownOverrides.length > 0) {
      throw new Error(
        `${this.lab.node.path}: nixos.inputUrls names ${unknownOverrides.join(', ')}, which the flake does not use. ` +
          `Fix: override only ${[...this.inputs.keys()].join(', ')}.`,
      );
    }
    // Every renderer has run: the files made of what they registered can be made now.
    for (const [path, later] of this.laterFiles) {
      this.laterFiles.delete(path);
      this.addFile(path, later.make(), { executable: later.executable });
    }
    const files = new Map(this.outputFiles);
    for (const parts of this.hosts.values()) {
      const file = `hosts/${parts.host.hostName}/configuration.nix`;
      files.set(file, { path: file, content: this.renderConfiguration(parts) });
    }
    files.set('flake.nix', { path: 'flake.nix', content: this.renderFlake() });
    return [...files.values()].sort(byText((x) => x.path));
  }

  private renderFlake(): string {
    const inputs: Record<string, NixAttrs> = {};
    for (const input of [...this.inputs.values()].sort(byText((input) => input.name))) {
      inputs[input.name] = {
        url: this.lab.flakeInputUrls[input.name] ?? input.url,
        inputs: input.followsNixpkgs === false ? undefined : { nixpkgs: { follows: 'nixpkgs' } },
      };
    }
    const configurations: Record<string, NixExpr> = {};
    for (const parts of [...this.hosts.values()].sort((a, b) => (a.host.hostName < b.host.hostName ? -1 : 1))) {
      configurations[parts.host.hostName] = NixExpr.call('nixpkgs.lib.nixosSystem', {
        system: parts.host.system,
        specialArgs: { inputs: NixExpr.ref('inputs') },
        modules: [...parts.flakeModules, NixExpr.path(`./hosts/${parts.host.hostName}/configuration.nix`)],
      });
    }
    const packages: Record<string, Record<string, NixExpr>> = {};
    for (const system of [...this.packages.keys()].sort()) {
      const ofSystem = this.packages.get(system)!;
      packages[system] = Object.fromEntries([...ofSystem.keys()].sort().map((name) => [name, ofSystem.get(name)!]));
    }
    return renderTemplate('flake.nix.hbs', {
      header: generatedHeader(this.lab),
      description: `${this.lab.name}: NixOS hosts synthesized by homelab-cdk`,
      inputs,
      configurations,
      packages: Object.keys(packages).length > 0 ? packages : false,
      nixConfig: this.caches.size > 0 ? flakeNixConfig([...this.caches.values()]) : false,
    });
  }

  private renderConfiguration(parts: HostParts): string {
    const host = parts.host;
    return renderNixModule({
      header: generatedHeader(this.lab, host.node.path),
      notes: [hostSummary(host)],
      usesInputs: true,
      imports: parts.imports,
      settings: parts.configuration ?? {},
    });
  }

  private partsOf(host: Host): HostParts {
    let parts = this.hosts.get(host.hostName);
    if (!parts) {
      parts = { host, imports: [], flakeModules: [] };
      this.hosts.set(host.hostName, parts);
    }
    return parts;
  }
}

/** The flake's `nixConfig` for its binary caches, sorted by URL. */
function flakeNixConfig(caches: readonly BinaryCache[]): NixAttrs {
  const sorted = [...caches].sort(byText((c) => c.url));
  return { 'extra-substituters': sorted.map((c) => c.url), 'extra-trusted-public-keys': sorted.map((c) => c.publicKey) };
}

/**
 * The first comment of every generated file: what made it, and that it is not to be edited.
 * @param source the construct path (and aspect) the file comes from; the whole lab when omitted
 */
export function generatedHeader(lab: Homelab, source?: string): string {
  const from = source ? `${source} (lab "${lab.name}")` : `the lab "${lab.name}"`;
  return `Generated by homelab-cdk from ${from}. Do not edit: change the model and run \`homelab synth\`.`;
}

/** What a NixOS module of the flake holds, for {@link renderNixModule}. */
export interface NixModuleView {
  /** The first comment: what made the file (see {@link generatedHeader}). */
  readonly header: string;
  /**
   * More comment lines after the header (what the module is about, a caveat).
   * @default - none
   */
  readonly notes?: readonly string[];
  /**
   * The module takes the flake's `inputs` (passed as specialArgs) besides `config`, `lib` and `pkgs`.
   * @default false
   */
  readonly usesInputs?: boolean;
  /**
   * The modules it imports, written before its settings.
   * @default - no imports line
   */
  readonly imports?: readonly NixExpr[];
  /** Its settings. */
  readonly settings: NixAttrs;
}

/**
 * A NixOS module of the flake, from the one module skeleton (`templates/module.nix.hbs`):
 * header and notes, the module's arguments, its imports, its settings.
 */
export function renderNixModule(view: NixModuleView): string {
  return renderTemplate('module.nix.hbs', {
    header: view.header,
    notes: view.notes ?? [],
    usesInputs: view.usesInputs ?? false,
    hasImports: view.imports !== undefined,
    imports: view.imports ?? [],
    settings: view.settings,
  });
}

/**
 * A NixOS module that is only settings: the generated header, then the attribute set. Most
 * per-host modules are this; templates are for files with a shape of their own.
 */
export function renderSettingsModule(lab: Homelab, source: string, settings: NixAttrs): string {
  return renderNixModule({ header: generatedHeader(lab, source), settings });
}

/** One line about a host: its role, system and address. */
export function hostSummary(host: Host): string {
  const role = host.description ? `${host.description}; ` : '';
  return `${host.hostName}: ${role}${host.system}, ${host.ipAddress}${host.macAddress ? ` (${host.macAddress})` : ''}`;
}

function assertFileName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(`module name "${name}" must be lower-case letters, digits and "-"`);
  }
}
