/**
 * Writes rendered files into the output folder (`dist/`) all or nothing, even when the process is
 * killed part-way (SIGKILL, a crash, a full disk):
 *
 * 1. **Plan** (reads only). Every target is checked: no symbolic link on its way (none is ever
 *    followed, neither the target nor a folder above it), no folder in its way, and no file there
 *    that the library did not write (the manifest lists what it wrote) unless the run adopts it.
 *    The output folder itself may not be a file system's root, the user's home or a project's
 *    root, nor a non-empty folder without a manifest. All problems are reported together.
 * 2. **Stage.** Changed files and the new manifest are written into the transaction folder
 *    `.homelab-txn/` inside the output folder; nothing the user sees changes. A failure or a kill
 *    here leaves the output as it was; the staged files are removed (now, or by the next run).
 * 3. **Commit.** The journal (`.homelab-txn/journal.json`: which staged file goes where, which
 *    stale files go) is renamed into place: from this instant the write counts as done.
 * 4. **Apply.** Renames into place, stale files removed, the manifest last, the transaction folder
 *    removed. A kill here leaves the journal, and the next run (or {@link recoverOutput}) finishes
 *    the same steps before it does anything else: every step can be repeated.
 *
 * Unchanged files are not touched; a run that changes nothing writes nothing at all.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OutputFile } from './output-file';
import { Finding, problem, Severity, ValidationError } from './validation';

/** The file in the output folder that lists what the library wrote there. */
export const MANIFEST_FILE = '.homelab-manifest.json';

/** The folder inside the output folder where a write is staged and journaled. */
export const TRANSACTION_FOLDER = '.homelab-txn';

const JOURNAL = 'journal.json';
const OWNER = 'owner.json';

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
  /**
   * Take over files at generated paths that the manifest does not list (written by hand, by an
   * older tool, or by `cdk8s synth`): they are overwritten and listed from then on. Without it
   * such a file is an error that names it.
   * @default false
   */
  readonly adopt?: boolean;
}

/** What {@link recoverOutput} found and did. */
export interface OutputRecovery {
  /**
   * `finished`: the earlier run had committed its write, and its remaining steps were done now;
   * `undone`: it had not, and its staged files were removed (the output was never changed).
   */
  readonly action: 'finished' | 'undone';
  /** The process id of the run that was interrupted, when it was recorded. */
  readonly pid?: number;
  /** Files put in place now (after `finished`). */
  readonly placed: number;
  /** Stale files removed now (after `finished`). */
  readonly removed: number;
}

interface Manifest {
  readonly generator: 'homelab-cdk';
  readonly files: string[];
}

/** The commit record: what the apply step does, in order. */
interface Journal {
  readonly version: 1;
  /** Staged file (a name inside the transaction folder) → target (relative to the output folder). */
  readonly place: ReadonlyArray<{ readonly staged: string; readonly target: string }>;
  /** Stale files to remove, relative to the output folder. */
  readonly remove: readonly string[];
}

/** Who staged the transaction, and which folders it created that an undo removes. */
interface Owner {
  readonly pid: number;
  readonly host: string;
  /** Folders the run created for the output folder itself (outermost first), absolute. */
  readonly createdFolders: readonly string[];
}

/** Checks that a path is relative, inside the folder, and made of plain segments. */
export function assertSafeRelativePath(file: string): void {
  if (!isSafe(file)) {
    throw new Error(`refusing to write "${file}": output paths must be relative, without "." or ".." segments`);
  }
}

/** What writing `files` into `outdir` would change. Reads only; throws on any problem. */
export function planOutput(outdir: string, files: readonly OutputFile[], options: OutputOptions = {}): OutputPlan {
  return prepare(outdir, files, options).plan;
}

/**
 * Writes `files` into `outdir` all or nothing (see the module comment) and returns what changed.
 * An interrupted earlier write there is finished or undone first.
 */
export function writeOutput(outdir: string, files: readonly OutputFile[], options: OutputOptions = {}): OutputPlan {
  const { plan, txn, journal, existingFolders } = commitOutput(outdir, files, options);
  if (txn && journal) {
    // 4. Apply. Should this fail (it only renames and removes), the journal stays for the next run.
    try {
      applyJournal(path.dirname(txn), txn, journal, { existingFolders });
    } catch (e) {
      throw new Error(
        `the write into ${path.dirname(txn)} was committed but could not be finished (${(e as Error).message}); ` +
          'the next homelab synth, diff or validate finishes it before anything else',
      );
    }
  }
  return plan;
}

/**
 * Steps 1 to 3 of {@link writeOutput}: plans, stages and commits, and returns the transaction
 * folder holding the journal (undefined when nothing changes). The output folder is then exactly
 * as a kill right after the commit leaves it. Not part of the public API: for tests and
 * {@link writeOutput}.
 * @internal
 */
export function commitOutput(outdir: string, files: readonly OutputFile[], options: OutputOptions = {}): { plan: OutputPlan; txn?: string; journal?: Journal; existingFolders?: Set<string> } {
  recoverOutput(outdir);
  const { root, plan, manifest, oldManifestText, byPath, existingFolders } = prepare(outdir, files, options);
  const manifestText = JSON.stringify(manifest, null, 2) + '\n';
  const toWrite = [...plan.added, ...plan.changed].map((p) => byPath.get(p)!);
  if (toWrite.length === 0 && plan.removed.length === 0 && manifestText === oldManifestText) {
    return { plan };
  }

  // 2. Stage, inside the transaction folder only.
  const createdFolders = makeOutputFolder(root);
  const txn = path.join(root, TRANSACTION_FOLDER);
  try {
    fs.mkdirSync(txn);
  } catch (e) {
    removeCreatedFolders(createdFolders);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw refusal(txn, 'another homelab run is writing into this folder right now', 'wait for it to finish, then run again');
    }
    throw e;
  }
  const place: Array<{ staged: string; target: string }> = [];
  const journal: Journal = { version: 1, place, remove: [...plan.removed] };
  try {
    // The first file of each mode shows whether the umask keeps that mode as asked: if it does,
    // the others of that mode need no fchmod each (a system call per file; issue 17).
    const narrowedByMode = new Map<number, boolean>();
    const write = (file: string, content: string, mode: number, sync = false) => {
      const known = narrowedByMode.get(mode);
      const narrowed = writeNew(file, content, mode, { setMode: known === undefined ? 'if-narrowed' : known ? 'always' : 'never', sync });
      narrowedByMode.set(mode, known ?? narrowed);
    };
    write(path.join(txn, OWNER), JSON.stringify({ pid: process.pid, host: os.hostname(), createdFolders } satisfies Owner) + '\n', 0o644);
    toWrite.forEach((file, i) => {
      const staged = `${i}`;
      write(within(txn, staged), file.content, file.executable ? 0o755 : 0o644);
      place.push({ staged, target: file.path });
    });
    write(path.join(txn, 'manifest'), manifestText, 0o644);
    place.push({ staged: 'manifest', target: MANIFEST_FILE });
    // 3. Commit: the journal appears whole, by a rename, once everything it names is on disk.
    const pending = path.join(txn, `${JOURNAL}.pending`);
    write(pending, JSON.stringify(journal) + '\n', 0o644, true);
    fs.renameSync(pending, path.join(txn, JOURNAL));
    syncFolder(txn);
  } catch (e) {
    fs.rmSync(txn, { recursive: true, force: true });
    removeCreatedFolders(createdFolders);
    throw e;
  }
  return { plan, txn, journal, existingFolders };
}

/**
 * Finishes or undoes a write into `outdir` that an earlier run began and did not end (it was
 * killed, or crashed): a committed write is finished, an uncommitted one removed. Returns what it
 * did, or undefined when there was nothing to do. Refuses while the run that began it is alive.
 */
export function recoverOutput(outdir: string): OutputRecovery | undefined {
  const root = path.resolve(outdir);
  const txn = path.join(root, TRANSACTION_FOLDER);
  const stat = lstatOrUndefined(txn);
  if (!stat) {
    return undefined;
  }
  if (!stat.isDirectory()) {
    throw refusal(txn, 'is not the folder homelab stages its writes in', 'remove it, then run again');
  }
  const owner = readOwner(txn);
  const journal = readJournal(txn);
  if (!journal) {
    if (owner && owner.pid !== process.pid && owner.host === os.hostname() && isAlive(owner.pid)) {
      throw refusal(txn, `another homelab run (pid ${owner.pid}) is writing into this folder right now`, 'wait for it to finish, then run again');
    }
    fs.rmSync(txn, { recursive: true, force: true });
    removeCreatedFolders(owner?.createdFolders ?? []);
    return { action: 'undone', pid: owner?.pid, placed: 0, removed: 0 };
  }
  const done = applyJournal(root, txn, journal);
  return { action: 'finished', pid: owner?.pid, ...done };
}

/** A sentence for users about what {@link recoverOutput} did. */
export function describeRecovery(outdir: string, recovery: OutputRecovery): string {
  const who = recovery.pid === undefined ? 'an earlier run' : `an earlier run (pid ${recovery.pid})`;
  return recovery.action === 'finished'
    ? `${outdir}: finished the write that ${who} had committed but not completed (${recovery.placed} file(s) put in place, ${recovery.removed} removed)`
    : `${outdir}: undid the write that ${who} had begun and not committed (the output was not changed; its staged files were removed)`;
}

interface Prepared {
  readonly root: string;
  readonly plan: OutputPlan;
  readonly manifest: Manifest;
  readonly oldManifestText: string | undefined;
  readonly byPath: ReadonlyMap<string, OutputFile>;
  /** The folders the plan saw to exist as real folders; the others on the way it saw missing. */
  readonly existingFolders: Set<string>;
}

/** 1. Plan: reads only; collects every problem and throws them together. */
function prepare(outdir: string, files: readonly OutputFile[], options: OutputOptions): Prepared {
  const problems: Finding[] = [];
  const refuse = (at: string, what: string, fix: string) => problems.push(finding(at, what, fix));
  const root = realOutputFolder(path.resolve(outdir));
  if (lstatOrUndefined(path.join(root, TRANSACTION_FOLDER))) {
    throw refusal(path.join(root, TRANSACTION_FOLDER), 'an earlier write into this folder was interrupted', 'run homelab synth (or recoverOutput) to finish it first');
  }
  const byPath = new Map<string, OutputFile>();
  for (const f of files) {
    assertSafeRelativePath(f.path);
    if (byPath.has(f.path)) {
      throw new Error(`two files were rendered for ${f.path}`);
    }
    byPath.set(f.path, f);
  }
  checkOutputFolder(root, refuse);
  if (problems.length > 0) {
    throw new ValidationError({ errors: problems, warnings: [] }); // before reading anything there
  }
  const oldManifestText = readText(path.join(root, MANIFEST_FILE));
  const oldManifest = parseManifest(oldManifestText);
  if (oldManifestText === undefined) {
    const foreign = foreignEntries(root, byPath);
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
      refuse(root, `this folder is not empty and has no ${MANIFEST_FILE}, so homelab did not write it: it holds ${shown}`, 'give an empty or new folder for the output, e.g. --out dist');
    }
  }
  const listed = new Set(oldManifest.files);
  const folders = new SeenFolders(root);
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const f of byPath.values()) {
    const target = within(root, f.path);
    const { blocked, stat } = folders.entryOf(target);
    if (blocked) {
      refuse(blocked.at, blocked.what, blocked.fix);
      continue;
    }
    if (!stat) {
      added.push(f.path);
      continue;
    }
    if (stat.isSymbolicLink()) {
      refuse(target, 'is a symbolic link where homelab writes a file; it never writes through a link', 'remove the link');
    } else if (!stat.isFile()) {
      refuse(target, `is a ${stat.isDirectory() ? 'folder' : 'special file'} where homelab writes a file`, 'move it away');
    } else if (!listed.has(f.path) && !options.adopt) {
      refuse(target, 'is a file that homelab did not write (the manifest does not list it), where it now writes one', 'move your file away, or run with --adopt to let homelab take it over');
    } else if (holds(target, stat, f)) {
      unchanged.push(f.path);
    } else {
      changed.push(f.path);
    }
  }
  const roots = new Set(options.roots ?? files.map((f) => f.path.split('/')[0]));
  const removed: string[] = [];
  for (const p of oldManifest.files) {
    if (!roots.has(p.split('/')[0]) || byPath.has(p) || !isSafe(p)) {
      continue;
    }
    const target = path.join(root, p);
    const { blocked, stat } = folders.entryOf(target);
    if (blocked) {
      refuse(blocked.at, `${blocked.what}, on the way to ${p}, a file an earlier run wrote and this one removes`, blocked.fix);
      continue;
    }
    if (stat?.isFile()) {
      removed.push(p);
    } else if (stat) {
      refuse(target, `was written by an earlier run and is now a ${stat.isSymbolicLink() ? 'symbolic link' : 'folder'}; homelab removes only its own files`, 'remove it yourself, or put the file back');
    }
  }
  if (problems.length > 0) {
    throw new ValidationError({ errors: problems, warnings: [] });
  }
  const manifest: Manifest = {
    generator: 'homelab-cdk',
    files: [...new Set([...oldManifest.files.filter((p) => !roots.has(p.split('/')[0]) && isSafe(p)), ...byPath.keys()])].sort(),
  };
  return { root, plan: { added: added.sort(), changed: changed.sort(), unchanged: unchanged.sort(), removed: removed.sort() }, manifest, oldManifestText, byPath, existingFolders: folders.existing() };
}

/** The output folder with symbolic links above it resolved (the user chose the path). */
function realOutputFolder(absolute: string): string {
  let existing = absolute;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

/** Refuses output folders whose stale-file removal or writes could hit what is not the lab's. */
function checkOutputFolder(root: string, refuse: (at: string, what: string, fix: string) => void): void {
  const fix = 'write into a folder of its own, e.g. --out dist';
  const stat = lstatOrUndefined(root);
  if (stat && !stat.isDirectory()) {
    refuse(root, 'the output folder exists and is not a folder', fix);
    return;
  }
  if (path.dirname(root) === root) {
    refuse(root, "the output folder is the file system's root", fix);
  } else if (stat && stat.dev !== fs.statSync(path.dirname(root)).dev) {
    refuse(root, "the output folder is a file system's root (a mount point)", fix);
  }
  const home = realOrSelf(os.homedir());
  if (root === home || isInside(root, home)) {
    refuse(root, root === home ? 'the output folder is your home folder' : 'the output folder holds your home folder', fix);
  }
  const project = projectRoot(process.cwd());
  if (project && (root === project || isInside(root, project))) {
    refuse(root, root === project ? "the output folder is the project's root (it holds package.json or .git)" : "the output folder holds the project's root", fix);
  }
}

/** The nearest folder at or above `dir` holding package.json or .git. */
function projectRoot(dir: string): string | undefined {
  let d = realOrSelf(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, 'package.json')) || fs.existsSync(path.join(d, '.git'))) {
      return d;
    }
    const up = path.dirname(d);
    if (up === d) {
      return undefined;
    }
    d = up;
  }
}

/** Paths under `root` (files, links, special files) that this run would not write; sorted. */
function foreignEntries(root: string, ours: ReadonlyMap<string, OutputFile>): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    if (!fs.existsSync(dir)) {
      return;
    }
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        walk(path.join(dir, entry.name), r);
      } else if (!ours.has(r)) {
        found.push(r);
      }
    }
  };
  walk(root, '');
  return found.sort();
}

/** Why a folder on the way to a target cannot be used. */
interface Blocker {
  readonly at: string;
  readonly what: string;
  readonly fix: string;
}

/** What the plan saw of one folder on the way to the targets. */
type SeenFolder = { readonly kind: 'folder' } | { readonly kind: 'missing' } | { readonly kind: 'blocked'; readonly blocker: Blocker };

/**
 * The plan's view of the folders on the way to the targets, each looked at once with `lstat`
 * (which never follows a link) and only when its parent exists: below a missing folder nothing
 * is looked at, so a new output folder's files cost no system call at all, where they cost
 * several failing ones each (issue 17). A target is looked at only when its folder exists.
 *
 * Not one `readdir` per folder instead of an `lstat` per target: measured on the 300-VM lab's
 * 612 files in 158 folders, the folders' listings cost more (0.85 ms) than the targets' `lstat`s
 * they would spare where files are added to existing folders, and an unchanged file needs its
 * `lstat` anyway (its mode and size); and a name missing from a listing is not proof of no file
 * on a case-insensitive file system.
 */
class SeenFolders {
  private readonly seen = new Map<string, SeenFolder>();

  public constructor(private readonly root: string) {}

  /** What is at the target (undefined when nothing is), or why its folder cannot be used. */
  public entryOf(target: string): { readonly stat?: fs.Stats; readonly blocked?: Blocker } {
    const folder = this.folder(path.dirname(target));
    if (folder.kind === 'blocked') {
      return { blocked: folder.blocker };
    }
    return { stat: folder.kind === 'folder' ? lstatOrUndefined(target) : undefined };
  }

  /** The folders seen to exist as real folders (the output folder's own included). */
  public existing(): Set<string> {
    return new Set([...this.seen].filter(([, f]) => f.kind === 'folder').map(([dir]) => dir));
  }

  private folder(dir: string): SeenFolder {
    const known = this.seen.get(dir);
    if (known) {
      return known;
    }
    // The output folder itself: checkOutputFolder refused it already if it is not a folder.
    const parent: SeenFolder = dir === this.root ? { kind: 'folder' } : this.folder(path.dirname(dir));
    const stat = parent.kind === 'folder' ? lstatOrUndefined(dir) : undefined;
    let folder: SeenFolder;
    if (parent.kind === 'blocked') {
      folder = parent; // a blocked folder blocks all below it
    } else if (!stat) {
      folder = { kind: 'missing' };
    } else if (stat.isSymbolicLink()) {
      folder = { kind: 'blocked', blocker: { at: dir, what: 'is a symbolic link inside the output folder; homelab never writes or removes through a link', fix: 'replace the link with a real folder, or remove it' } };
    } else if (!stat.isDirectory()) {
      folder = { kind: 'blocked', blocker: { at: dir, what: 'is a file where homelab needs a folder', fix: 'move it away' } };
    } else {
      folder = { kind: 'folder' };
    }
    this.seen.set(dir, folder);
    return folder;
  }
}

/**
 * Whether the regular file at `target` (its `lstat` given) already holds `file`: the executable
 * bit and the size from the `lstat`, and only when they match the content read once and
 * compared. Opened without following a link, in case one replaced the file since its `lstat`.
 */
function holds(target: string, stat: fs.Stats, file: OutputFile): boolean {
  const size = Buffer.byteLength(file.content, 'utf8');
  if (((stat.mode & 0o111) !== 0) !== (file.executable ?? false) || stat.size !== size) {
    return false;
  }
  const fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    // One byte more than expected, so that a file grown since its lstat reads as changed; a
    // regular file reads whole up to its end, so a short read can only mean it shrank.
    const found = Buffer.allocUnsafe(size + 1);
    return fs.readSync(fd, found, 0, size + 1, 0) === size && found.toString('utf8', 0, size) === file.content;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks the folders between the output folder and a target with `lstat`, never following a
 * link, and remembers each folder's verdict (many targets share them). For the apply step, which
 * must also work from what an interrupted run left on disk.
 */
class LinkCheck {
  private readonly verdicts = new Map<string, { at: string; what: string; fix: string } | null>();

  public constructor(private readonly root: string) {}

  /** Why the target's folder cannot be used, or undefined. */
  public blockerOf(target: string): { at: string; what: string; fix: string } | undefined {
    return this.folder(path.dirname(target)) ?? undefined;
  }

  private folder(dir: string): { at: string; what: string; fix: string } | null {
    if (dir === this.root || !isInside(this.root, dir)) {
      return null;
    }
    const known = this.verdicts.get(dir);
    if (known !== undefined) {
      return known;
    }
    let verdict = this.folder(path.dirname(dir));
    if (!verdict) {
      const stat = lstatOrUndefined(dir);
      if (stat?.isSymbolicLink()) {
        verdict = { at: dir, what: 'is a symbolic link inside the output folder; homelab never writes or removes through a link', fix: 'replace the link with a real folder, or remove it' };
      } else if (stat && !stat.isDirectory()) {
        verdict = { at: dir, what: 'is a file where homelab needs a folder', fix: 'move it away' };
      }
    }
    this.verdicts.set(dir, verdict);
    return verdict;
  }
}

/**
 * 4. Apply a committed journal; each step may already have been done by an interrupted run.
 * `existingFolders` is given for a journal this run has just committed: the folders its plan saw
 * to exist (the others on the way it saw missing).
 */
function applyJournal(root: string, txn: string, journal: Journal, options: { readonly existingFolders?: ReadonlySet<string> } = {}): { placed: number; removed: number } {
  let placed = 0;
  let removed = 0;
  const links = new LinkCheck(root);
  const justCommitted = options.existingFolders !== undefined;
  const folders = new Set<string>(options.existingFolders);
  for (const { staged, target } of journal.place) {
    const from = within(txn, staged);
    // Only a journal an interrupted run left can have files placed already; one this run has just
    // committed has every staged file still there, and looking cost an lstat per file.
    if (!justCommitted && !lstatOrUndefined(from)) {
      continue; // placed before the interruption
    }
    const to = within(root, target);
    makeFolders(root, path.dirname(to), folders, justCommitted);
    fs.renameSync(from, to);
    placed += target === MANIFEST_FILE ? 0 : 1;
  }
  for (const stale of journal.remove) {
    const target = path.join(root, stale);
    if (!links.blockerOf(target) && lstatOrUndefined(target)?.isFile()) {
      fs.unlinkSync(target);
      removed++;
      removeEmptyParents(root, path.dirname(target));
    }
  }
  // The journal goes first: a transaction folder without one is undone, which is now harmless.
  fs.unlinkSync(path.join(txn, JOURNAL));
  fs.rmSync(txn, { recursive: true, force: true });
  return { placed, removed };
}

/**
 * Creates the folders down to `dir` (inside `root`), refusing any link on the way. `known` holds
 * the folders this run found or made already, so that each is checked once and not once per file.
 * With `seenMissing` (a journal this run has just committed) a folder not in `known` is one its
 * plan saw missing: it is made at once, and looked at only if it appeared meanwhile (`mkdir` never
 * follows a link in the last segment; it fails with EEXIST on one).
 */
function makeFolders(root: string, dir: string, known: Set<string>, seenMissing: boolean): void {
  // Most files' folders are known: that test goes first, isInside's path.relative once a folder.
  if (known.has(dir) || dir === root || !isInside(root, dir)) {
    return;
  }
  const stat = seenMissing ? undefined : lstatOrUndefined(dir);
  if (!stat) {
    makeFolders(root, path.dirname(dir), known, seenMissing);
    try {
      fs.mkdirSync(dir);
    } catch (e) {
      if (!seenMissing || (e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
      assertFolder(dir, lstatOrUndefined(dir));
    }
  } else {
    assertFolder(dir, stat);
  }
  known.add(dir);
}

function assertFolder(dir: string, stat: fs.Stats | undefined): void {
  if (stat && !stat.isDirectory()) {
    throw new Error(`${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}`);
  }
}

/** Creates the output folder if needed; returns the folders created, outermost first. */
function makeOutputFolder(root: string): string[] {
  const created: string[] = [];
  let dir = root;
  while (!fs.existsSync(dir)) {
    created.unshift(dir);
    dir = path.dirname(dir);
  }
  for (const d of created) {
    fs.mkdirSync(d);
  }
  return created;
}

function removeCreatedFolders(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return; // not empty (something else was put there meanwhile), or gone: leave it
    }
  }
}

function removeEmptyParents(root: string, dir: string): void {
  while (dir !== root && isInside(root, dir) && lstatOrUndefined(dir)?.isDirectory() && fs.readdirSync(dir).length === 0) {
    fs.rmdirSync(dir);
    dir = path.dirname(dir);
  }
}

/**
 * Writes a new file (never an existing one) with its mode; `sync` flushes it to the disk. The umask
 * may narrow the mode `open` gives: `setMode` `always` (the default) sets it with fchmod anyway,
 * `if-narrowed` looks first (an fstat) and returns whether it was narrowed, `never` trusts it (the
 * run saw that the umask keeps this mode). Returns whether the mode was narrowed, as far as known.
 */
function writeNew(file: string, content: string, mode: number, options: { readonly setMode?: 'always' | 'if-narrowed' | 'never'; readonly sync?: boolean } = {}): boolean {
  const setMode = options.setMode ?? 'always';
  if (setMode === 'never' && !options.sync) {
    // Node's one-call path (open, write and close in one binding call, taken only when the
    // encoding is named): most staged files, at half the cost of the three calls below.
    fs.writeFileSync(file, content, { encoding: 'utf8', flag: 'wx', mode });
    return false;
  }
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeFileSync(fd, content);
    const narrowed = setMode === 'if-narrowed' && (fs.fstatSync(fd).mode & 0o7777) !== mode;
    if (setMode === 'always' || narrowed) {
      fs.fchmodSync(fd, mode);
    }
    if (options.sync) {
      fs.fsyncSync(fd);
    }
    return narrowed;
  } finally {
    fs.closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readJournal(txn: string): Journal | undefined {
  const text = readText(path.join(txn, JOURNAL));
  if (text === undefined) {
    return undefined;
  }
  const journal = JSON.parse(text) as Journal;
  const safeStaged = (s: unknown) => typeof s === 'string' && /^(\d+|manifest)$/.test(s);
  const safeTarget = (t: unknown) => typeof t === 'string' && (t === MANIFEST_FILE || isSafe(t));
  if (journal.version !== 1 || !journal.place.every((p) => safeStaged(p.staged) && safeTarget(p.target)) || !journal.remove.every((r) => isSafe(r))) {
    throw refusal(path.join(txn, JOURNAL), 'is not a journal this version of homelab-cdk wrote', `remove ${txn} and run again`);
  }
  return journal;
}

function readOwner(txn: string): Owner | undefined {
  try {
    const owner = JSON.parse(readText(path.join(txn, OWNER)) ?? '') as Owner;
    const folders = Array.isArray(owner.createdFolders) ? owner.createdFolders.filter((f) => typeof f === 'string' && path.isAbsolute(f)) : [];
    // Only folders that would have held the transaction folder are removed by an undo.
    return { pid: owner.pid, host: owner.host, createdFolders: folders.filter((f) => f === path.dirname(txn) || isInside(f, path.dirname(txn))) };
  } catch {
    return undefined; // killed before the owner file was whole
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseManifest(text: string | undefined): Manifest {
  if (text === undefined) {
    return { generator: 'homelab-cdk', files: [] };
  }
  try {
    const parsed = JSON.parse(text) as Partial<Manifest>;
    return { generator: 'homelab-cdk', files: Array.isArray(parsed.files) ? parsed.files.filter((f) => typeof f === 'string') : [] };
  } catch {
    return { generator: 'homelab-cdk', files: [] };
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw e;
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    // Without throwIfNoEntry every missing file (each new file of a run) cost a thrown error and
    // its stack, several times the lstat itself (issue 17).
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return undefined;
    }
    throw e;
  }
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function finding(at: string, what: string, fix: string): Finding {
  return { path: displayFile(at), message: problem(what, fix), severity: Severity.ERROR };
}

function refusal(at: string, what: string, fix: string): ValidationError {
  return new ValidationError({ errors: [finding(at, what, fix)], warnings: [] });
}

/** A file's path as users see it: relative to the working folder when inside it. */
function displayFile(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function isSafe(p: string): boolean {
  const segments = p.split('/');
  return !(
    p === '' ||
    p.startsWith('/') ||
    p.includes('\\') ||
    p.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    p === MANIFEST_FILE ||
    segments[0] === TRANSACTION_FOLDER
  );
}

/**
 * `path.join(folder, relative)` for a path that {@link isSafe} accepted (plain segments joined by
 * `/`) inside a folder that path.resolve or path.join made: on POSIX just the two joined, as
 * path.join would give them, without its normalization, which cost more than the rest of a
 * file's bookkeeping in a write (issue 17).
 */
function within(folder: string, relative: string): string {
  return path.sep === '/' ? `${folder}/${relative}` : path.join(folder, relative);
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
