/**
 * Whether the synthesized flake can be used from git: Nix copies a flake that sits in a git work
 * tree from the tree's tracked files only, so a flake inside a repository that ignores it (the
 * project's `dist/`, git-ignored by default) has no `flake.nix` as far as `nixos-rebuild --flake`
 * is concerned.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Homelab } from '../core/homelab';
import { displayPath, Finding, problem, Severity } from '../core/validation';

/**
 * A warning when the flake in `flakeDir` sits inside a git work tree (other than its own) that
 * ignores it (`git check-ignore`), or undefined: no git, no work tree, its own repository, or not
 * ignored. `only` as `homelab synth --only`: without the nix projection there is nothing to check.
 */
export function ignoredFlakeWarning(lab: Homelab, flakeDir: string, only?: readonly string[]): Finding | undefined {
  if (only && only.length > 0 && !only.includes('nix')) {
    return undefined;
  }
  const git = (args: readonly string[]) => spawnSync('git', args, { cwd: nearestExisting(flakeDir), encoding: 'utf8' });
  // One git process for the usual answers (0 ignored, 1 not, 128 no work tree), a second one only
  // to name the work tree that ignores it: every `homelab synth` asks.
  const ignored = git(['check-ignore', '--quiet', path.join(flakeDir, 'flake.nix')]);
  if (ignored.error || ignored.status !== 0) {
    return undefined;
  }
  const top = git(['rev-parse', '--show-toplevel']);
  if (top.error || top.status !== 0) {
    return undefined;
  }
  const workTree = top.stdout.trim();
  if (path.resolve(workTree) === path.resolve(flakeDir)) {
    return undefined;
  }
  const shown = path.relative(process.cwd(), flakeDir) || '.';
  const message = problem(
    `the flake ${shown} sits inside the git work tree ${workTree}, which ignores it: Nix reads a flake in a git work tree from its tracked files only, so \`nixos-rebuild --flake ${shown}#<host>\` finds no flake.nix there`,
    `make ${shown} a repository of its own (\`git -C ${shown} init\`, then commit it with its flake.lock), or stop ignoring it and commit it (see README, "Pinning and using the flake from git")`,
  );
  return { path: displayPath(lab), message: `${message} [homelab-cdk:flake-ignored-by-git]`, severity: Severity.WARNING };
}

/** The folder itself, or its closest ancestor that exists (before the first synth, dist/ does not). */
function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  while (!fs.existsSync(current) && path.dirname(current) !== current) {
    current = path.dirname(current);
  }
  return current;
}
