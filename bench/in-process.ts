/**
 * `homelab synth` of the reference lab in-process, after warm-up: what an editor integration, a
 * watch mode or a test suite pays per synthesis once the libraries are loaded and the JIT is warm.
 * Each run builds the lab afresh (the user's program), then validates and renders all three
 * projections in memory and checks the sops files as `homelab synth` does (the measured
 * synthesis), then writes. Prints one line of JSON.
 *
 *   node build/bench/in-process.js --out <dir> [--runs 50] [--warmup 20] [--secrets <dir>]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputFile, renderLab, writeOutput } from '../lib/internal';
import { buildReferenceLab } from '../apps/reference-lab';
import { Sample, summarize } from './stats';
import { buildGeneratedLab } from './generated-lab';
import { option, reportMeasurement } from './measurement';

/** What the benchmark reads from this process. */
export interface InProcessResult {
  readonly runs: number;
  readonly warmup: number;
  readonly files: number;
  /** Building the reference lab's tree. */
  readonly build: Sample;
  /** Validation and the three projections, rendered in memory: the target's number. */
  readonly synth: Sample;
  /** Writing into the folder of the previous run: every file compared, none changed. */
  readonly writeUnchanged: Sample;
  /** Writing into a new folder: every file created. */
  readonly writeNew: Sample;
  /**
   * The floor of writing into a new folder: each file written to a temporary name beside it and
   * renamed into place, its folders made once; no plan, staging, journal or manifest. Timed in
   * the same runs as {@link writeNew}, alternating which goes first.
   */
  readonly bareWriteNew: Sample;
  /** The same two writes of a generated lab's many files, for the cost per file (see {@link perFileOverhead}). */
  readonly large: { readonly vms: number; readonly files: number; readonly writeNew: Sample; readonly bareWriteNew: Sample };
  /** Peak resident memory of the process, in MiB. */
  readonly maxRssMiB: number;
}

function main(argv: readonly string[]): InProcessResult {
  const out = option(argv, '--out');
  if (!out) {
    throw new Error('give a scratch folder with --out <dir>');
  }
  const runs = Number(option(argv, '--runs') ?? 50);
  // What `homelab synth` does: its --secrets folder (default: the working directory) is checked
  // against the sops secrets the flake reads, and its sops files are copied into the flake.
  const secretsRoot = option(argv, '--secrets') ?? '.';
  const warmup = Number(option(argv, '--warmup') ?? 20);
  const times = { build: [] as number[], synth: [] as number[], writeUnchanged: [] as number[], writeNew: [] as number[], bareWriteNew: [] as number[] };
  let files = 0;
  const existing = path.join(out, 'existing');
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const { lab } = buildReferenceLab();
    const t1 = performance.now();
    const rendered = renderLab(lab, { secretsRoot });
    const t2 = performance.now();
    const roots = rendered.projections.map((p) => p.name);
    writeOutput(existing, rendered.files, { roots });
    const t3 = performance.now();
    const fresh = path.join(out, `new-${i}`);
    const bare = path.join(out, `bare-${i}`);
    // Alternate the order, so that neither side always finds the disk's caches warmer.
    const writeNew = i % 2 === 0 ? [timed(() => writeOutput(fresh, rendered.files, { roots })), timed(() => bareAtomicWrite(bare, rendered.files))] : [timed(() => bareAtomicWrite(bare, rendered.files)), timed(() => writeOutput(fresh, rendered.files, { roots }))].reverse();
    fs.rmSync(fresh, { recursive: true, force: true });
    fs.rmSync(bare, { recursive: true, force: true });
    if (i >= warmup) {
      times.build.push(t1 - t0);
      times.synth.push(t2 - t1);
      // The first write into `existing` creates the files; from then on they are unchanged.
      times.writeUnchanged.push(t3 - t2);
      times.writeNew.push(writeNew[0]);
      times.bareWriteNew.push(writeNew[1]);
    }
    files = rendered.files.length;
  }
  const largeVms = Number(option(argv, '--large-vms') ?? 300);
  const largeFiles = renderLab(buildGeneratedLab(largeVms).lab).files;
  const large = { writeNew: [] as number[], bareWriteNew: [] as number[] };
  for (let i = 0; i < Math.max(5, Math.round(runs / 5)) + 1; i++) {
    const fresh = path.join(out, `large-new-${i}`);
    const bare = path.join(out, `large-bare-${i}`);
    const pair = i % 2 === 0 ? [timed(() => writeOutput(fresh, largeFiles)), timed(() => bareAtomicWrite(bare, largeFiles))] : [timed(() => bareAtomicWrite(bare, largeFiles)), timed(() => writeOutput(fresh, largeFiles))].reverse();
    fs.rmSync(fresh, { recursive: true, force: true });
    fs.rmSync(bare, { recursive: true, force: true });
    if (i > 0) {
      large.writeNew.push(pair[0]);
      large.bareWriteNew.push(pair[1]);
    }
  }
  return {
    runs,
    warmup,
    files,
    large: { vms: largeVms, files: largeFiles.length, writeNew: summarize(large.writeNew), bareWriteNew: summarize(large.bareWriteNew) },
    build: summarize(times.build),
    synth: summarize(times.synth),
    writeUnchanged: summarize(times.writeUnchanged),
    writeNew: summarize(times.writeNew),
    bareWriteNew: summarize(times.bareWriteNew),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/**
 * The writer's cost per file against the bare write's: the growth of each from the reference lab's
 * files to the large lab's, per file added. Fixed costs of a run (recovery check, journal and its
 * fsync, manifest) cancel out; they are the intercept, reported apart.
 */
export function perFileOverhead(r: InProcessResult): { writerPerFileMs: number; barePerFileMs: number; ratio: number } {
  const files = r.large.files - r.files;
  const writerPerFileMs = (r.large.writeNew.median - r.writeNew.median) / files;
  const barePerFileMs = (r.large.bareWriteNew.median - r.bareWriteNew.median) / files;
  return { writerPerFileMs, barePerFileMs, ratio: writerPerFileMs / barePerFileMs };
}

/** Milliseconds that `fn` takes. */
function timed(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** The floor a writer is measured against: every file to a temporary name beside it, then renamed. */
export function bareAtomicWrite(outdir: string, files: readonly OutputFile[]): void {
  const folders = new Set<string>();
  for (const file of files) {
    const target = path.join(outdir, file.path);
    const folder = path.dirname(target);
    if (!folders.has(folder)) {
      fs.mkdirSync(folder, { recursive: true });
      folders.add(folder);
    }
    const temporary = `${target}.${process.pid}.tmp`;
    // The encoding named, as the writer does: only then does Node take its one-call path for a
    // string (open, write and close in one binding call, half the cost of the general path).
    fs.writeFileSync(temporary, file.content, { encoding: 'utf8', mode: file.executable ? 0o755 : 0o644 });
    fs.renameSync(temporary, target);
  }
}

if (require.main === module) {
  reportMeasurement(main);
}
