/**
 * `homelab synth` of the reference lab in-process, after warm-up: what an editor integration, a
 * watch mode or a test suite pays per synthesis once the libraries are loaded and the JIT is warm.
 * Each run builds the lab afresh (the user's program), then validates and renders all three
 * projections in memory (the measured synthesis), then writes. Prints one line of JSON.
 *
 *   node build/bench/in-process.js --out <dir> [--runs 50] [--warmup 20]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderLab, writeOutput } from '../lib/internal';
import { buildReferenceLab } from '../apps/reference-lab';
import { Sample, summarize } from './stats';
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
  /** Peak resident memory of the process, in MiB. */
  readonly maxRssMiB: number;
}

function main(argv: readonly string[]): InProcessResult {
  const out = option(argv, '--out');
  if (!out) {
    throw new Error('give a scratch folder with --out <dir>');
  }
  const runs = Number(option(argv, '--runs') ?? 50);
  const warmup = Number(option(argv, '--warmup') ?? 20);
  const times = { build: [] as number[], synth: [] as number[], writeUnchanged: [] as number[], writeNew: [] as number[] };
  let files = 0;
  const existing = path.join(out, 'existing');
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const { lab } = buildReferenceLab();
    const t1 = performance.now();
    const rendered = renderLab(lab);
    const t2 = performance.now();
    const roots = rendered.projections.map((p) => p.name);
    writeOutput(existing, rendered.files, { roots });
    const t3 = performance.now();
    const fresh = path.join(out, `new-${i}`);
    writeOutput(fresh, rendered.files, { roots });
    const t4 = performance.now();
    fs.rmSync(fresh, { recursive: true, force: true });
    if (i >= warmup) {
      times.build.push(t1 - t0);
      times.synth.push(t2 - t1);
      // The first write into `existing` creates the files; from then on they are unchanged.
      times.writeUnchanged.push(t3 - t2);
      times.writeNew.push(t4 - t3);
    }
    files = rendered.files.length;
  }
  return {
    runs,
    warmup,
    files,
    build: summarize(times.build),
    synth: summarize(times.synth),
    writeUnchanged: summarize(times.writeUnchanged),
    writeNew: summarize(times.writeNew),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (require.main === module) {
  reportMeasurement(main);
}
