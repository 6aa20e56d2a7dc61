/**
 * Writes rendered files into the output folder (`dist/`) so that a failed run changes nothing:
 * every changed file is first written beside its target as a temporary file; only when all of
 * them are on disk are they renamed into place. Unchanged files are not touched. Files that an
 * earlier run wrote (listed in the folder's manifest) and this run does not are removed; files
 * the library did not write are never touched, and nothing is written outside the folder.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputFile } from './output-file';

/** The file in the output folder that lists what the library wrote there. */
export const MANIFEST_FILE = '.homelab-manifest.json';

/** What a write changes, file by file (paths relative to the output folder, sorted). */
export interface OutputPlan {
  /** Files that do not exist yet. */
  readonly added: readonly string[];
  /** Files whose content or mode changes. */
  readonly changed: readonly string[];
  /** Files that stay as they are. */
  readonly unchanged: readonly string[];
  /** Files an earlier run wrote that this one no longer does. */
  readonly removed: readonly string[];
}

/** Options of {@link planOutput} and {@link writeOutput}. */
export interface OutputOptions {
  /**
   * The top-level folders this run owns (`nix`, `terraform`, `k8s`): stale files are looked for
   * only there, so a run of one projection keeps the others' files.
   * @default - the top-level folders of the given files
   */
  readonly roots?: readonly string[];
}

interface Manifest {
  readonly generator: 'homelab-cdk';
  readonly files: string[];
}

/** Checks that a path is relative, inside the folder, and made of plain segments. */
export function assertSafeRelativePath(file: string): void {
  const segments = file.split('/');
  if (
    file === '' ||
    file.startsWith('/') ||
    file.includes('\\') ||
    file.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    file === MANIFEST_FILE
  ) {
    throw new Error(`refusing to write "${file}": output paths must be relative, without "." or ".." segments`);
  }
}

/** What writing `files` into `outdir` would change. Reads only. */
export function planOutput(outdir: string, files: readonly OutputFile[], options: OutputOptions = {}): OutputPlan {
  const root = path.resolve(outdir);
  const seen = new Set<string>();
  for (const f of files) {
    assertSafeRelativePath(f.path);
    if (seen.has(f.path)) {
      throw new Error(`two files were rendered for ${f.path}`);
    }
    seen.add(f.path);
  }
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const f of files) {
    const target = path.join(root, f.path);
    const state = fileState(root, target);
    if (state === undefined) {
      added.push(f.path);
    } else if (state.content !== f.content || state.executable !== (f.executable ?? false)) {
      changed.push(f.path);
    } else {
      unchanged.push(f.path);
    }
  }
  const roots = new Set(options.roots ?? files.map((f) => f.path.split('/')[0]));
  const removed = readManifest(root).files.filter((p) => roots.has(p.split('/')[0]) && !seen.has(p) && isSafe(p));
  return { added: added.sort(), changed: changed.sort(), unchanged: unchanged.sort(), removed: removed.sort() };
}

/**
 * Writes `files` into `outdir` atomically (see the module comment) and returns what changed.
 * On any error before the commit, the folder is left exactly as it was.
 */
export function writeOutput(outdir: string, files: readonly OutputFile[], options: OutputOptions = {}): OutputPlan {
  const root = path.resolve(outdir);
  if (fs.existsSync(root) && !fs.lstatSync(root).isDirectory()) {
    throw new Error(`output folder ${root} exists and is not a folder`);
  }
  const plan = planOutput(root, files, options);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const toWrite = [...plan.added, ...plan.changed].map((p) => byPath.get(p)!);
  const oldManifest = readManifest(root);
  const roots = new Set(options.roots ?? files.map((f) => f.path.split('/')[0]));
  const manifest: Manifest = {
    generator: 'homelab-cdk',
    files: [...new Set([...oldManifest.files.filter((p) => !roots.has(p.split('/')[0])), ...byPath.keys()])].sort(),
  };
  const manifestFile: OutputFile = { path: MANIFEST_FILE, content: JSON.stringify(manifest, null, 2) + '\n' };

  // 1. Stage: every changed file next to its target, under a temporary name.
  const token = `.homelab-staging-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const createdDirs: string[] = [];
  const staged: Array<{ temp: string; target: string }> = [];
  try {
    for (const file of [...toWrite, manifestFile]) {
      const target = path.join(root, file.path);
      makeDirectories(root, path.dirname(target), createdDirs);
      const existing = fs.existsSync(target) ? fs.lstatSync(target) : undefined;
      if (existing && !existing.isFile()) {
        throw new Error(`cannot write ${file.path}: a ${existing.isDirectory() ? 'folder' : 'link'} is in the way`);
      }
      const temp = `${target}${token}`;
      fs.writeFileSync(temp, file.content, { mode: file.executable ? 0o755 : 0o644, flag: 'wx' });
      fs.chmodSync(temp, file.executable ? 0o755 : 0o644);
      staged.push({ temp, target });
    }
  } catch (e) {
    for (const s of staged) {
      fs.rmSync(s.temp, { force: true });
    }
    for (const dir of createdDirs.reverse()) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not empty: something else was written there meanwhile; leave it
      }
    }
    throw e;
  }

  // 2. Commit: renames within one folder each, the manifest last.
  for (const s of staged) {
    fs.renameSync(s.temp, s.target);
  }

  // 3. Remove what earlier runs wrote and this one does not, and folders left empty.
  for (const stale of plan.removed) {
    const target = path.join(root, stale);
    if (isInside(root, target) && fs.existsSync(target) && fs.lstatSync(target).isFile()) {
      fs.unlinkSync(target);
      removeEmptyParents(root, path.dirname(target));
    }
  }
  return plan;
}

/** The content and mode of an existing output file, or undefined. */
function fileState(root: string, target: string): { content: string; executable: boolean } | undefined {
  assertNoLinkOnTheWay(root, target);
  if (!fs.existsSync(target)) {
    return undefined;
  }
  const stat = fs.lstatSync(target);
  if (!stat.isFile()) {
    return { content: '\0not a file', executable: false };
  }
  return { content: fs.readFileSync(target, 'utf8'), executable: (stat.mode & 0o111) !== 0 };
}

/** Refuses symbolic links inside the output folder: they could lead a write outside it. */
function assertNoLinkOnTheWay(root: string, target: string): void {
  let dir = path.dirname(target);
  while (isInside(root, dir) && dir !== root) {
    if (fs.existsSync(dir) && fs.lstatSync(dir).isSymbolicLink()) {
      throw new Error(`refusing to write through the symbolic link ${dir}`);
    }
    dir = path.dirname(dir);
  }
  if (fs.existsSync(target) && fs.lstatSync(target).isSymbolicLink()) {
    throw new Error(`refusing to replace the symbolic link ${target}`);
  }
}

function makeDirectories(root: string, dir: string, created: string[]): void {
  if (!isInside(root, dir)) {
    throw new Error(`refusing to create ${dir}: outside ${root}`);
  }
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) {
      throw new Error(`cannot create folder ${dir}: a file is in the way`);
    }
    return;
  }
  if (dir === root) {
    fs.mkdirSync(root, { recursive: true });
  } else {
    makeDirectories(root, path.dirname(dir), created);
    fs.mkdirSync(dir);
  }
  created.push(dir);
}

function removeEmptyParents(root: string, dir: string): void {
  while (dir !== root && isInside(root, dir) && fs.existsSync(dir) && fs.readdirSync(dir).length === 0) {
    fs.rmdirSync(dir);
    dir = path.dirname(dir);
  }
}

function readManifest(root: string): Manifest {
  const file = path.join(root, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    return { generator: 'homelab-cdk', files: [] };
  }
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
    return { generator: 'homelab-cdk', files: Array.isArray(parsed.files) ? parsed.files.filter((f) => typeof f === 'string') : [] };
  } catch {
    return { generator: 'homelab-cdk', files: [] };
  }
}

function isSafe(p: string): boolean {
  try {
    assertSafeRelativePath(p);
    return true;
  } catch {
    return false;
  }
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
