/**
 * The real Nix, for the tests: `nix-instantiate --parse` to check syntax and
 * `nix-instantiate --eval --strict --json` to read values back. The dummy store keeps it from
 * touching /nix.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const NIX_ARGS = ['--store', 'dummy://'];

/** Parses files with the real parser in one call; returns `file: message` for each failure. */
export function parseNixFiles(files: readonly string[]): string[] {
  if (files.length === 0) {
    return [];
  }
  const all = spawnSync('nix-instantiate', [...NIX_ARGS, '--parse', ...files], { encoding: 'utf8' });
  if (all.status === 0) {
    return [];
  }
  // Find which ones fail (the first failure stops the batch).
  return files.flatMap((file) => {
    const one = spawnSync('nix-instantiate', [...NIX_ARGS, '--parse', file], { encoding: 'utf8' });
    return one.status === 0 ? [] : [`${file}: ${one.stderr.trim()}`];
  });
}

/** Parses a Nix text; returns the parser's error message, or undefined when it parses. */
export function parseNixText(text: string): string | undefined {
  const r = spawnSync('nix-instantiate', [...NIX_ARGS, '--parse', '-E', text], { encoding: 'utf8' });
  return r.status === 0 ? undefined : r.stderr.trim();
}

/** Evaluates a Nix expression strictly and returns its JSON value. */
export function evalNixJson(expression: string, cwd?: string): unknown {
  const out = execFileSync('nix-instantiate', [...NIX_ARGS, '--eval', '--strict', '--json', '-E', expression], {
    encoding: 'utf8',
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

/** Evaluates a Nix file strictly and returns its JSON value. */
export function evalNixFileJson(file: string): unknown {
  return JSON.parse(execFileSync('nix-instantiate', [...NIX_ARGS, '--eval', '--strict', '--json', file], { encoding: 'utf8' }));
}

/** Every `.nix` file under a folder. */
export function nixFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.nix')) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Evaluates a generated NixOS module (a file that is a function of `{ config, lib, pkgs, … }`)
 * with stand-in arguments and returns its attribute set as JSON. Package references become
 * strings `pkg:<name>`; `imports` become their paths relative to the module's folder, other
 * paths their absolute names. `extraArgs` (Nix code of an attribute set) replaces module arguments
 * such as `config` or `inputs`.
 */
export function evalModule(file: string, packages: readonly string[] = [], extraArgs = '{ }'): Record<string, any> {
  const helper = path.join(tmpDir(), 'eval-module.nix');
  if (!fs.existsSync(helper)) {
    fs.writeFileSync(
      helper,
      `{ file, pkgNames, extraArgs }:
let
  pkgs = builtins.listToAttrs (map (n: { name = n; value = "pkg:" + n; }) pkgNames) // {
    writeShellScriptBin = name: text: "script:" + name;
  };
  fn = import file;
  result = if builtins.isFunction fn then fn ({ config = { }; lib = { }; inherit pkgs; inputs = { }; modulesPath = "/modules"; } // extraArgs) else fn;
  dir = builtins.dirOf file;
  rel = p: if builtins.isPath p then builtins.replaceStrings [ (toString dir + "/") ] [ "" ] (toString p) else p;
  # Paths become their absolute names: JSON output would copy them to the store.
  plain = v:
    if builtins.isPath v then toString v
    else if builtins.isList v then map plain v
    else if builtins.isAttrs v then builtins.mapAttrs (_: plain) v
    else v;
in
plain ((builtins.removeAttrs result [ "imports" ]) // (if result ? imports then { imports = map rel result.imports; } else { }))
`,
    );
  }
  const pkgList = `[ ${packages.map((p) => JSON.stringify(p)).join(' ')} ]`;
  return evalNixJson(`import ${helper} { file = ${path.resolve(file)}; pkgNames = ${pkgList}; extraArgs = ${extraArgs}; }`) as Record<string, any>;
}

let scratch: string | undefined;
function tmpDir(): string {
  scratch ??= fs.mkdtempSync(path.join(os.tmpdir(), 'homelab-nix-'));
  return scratch;
}
