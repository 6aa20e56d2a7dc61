/**
 * One synthesis in a fresh process, as `homelab synth` does it (validate, render every
 * projection in memory, check the sops files, write the output folder), timed phase by phase.
 * Prints one line of JSON for the benchmark: the phases in ms, the time since the process
 * started, and the peak memory.
 *
 *   node build/bench/synth-once.js --lab reference|<vms> --out <dir> [--only nix] [--secrets <dir>]
 */
// The clock starts with the process: performance.now() counts from Node's time origin, so the
// first reading below already includes Node's own start-up; module loading comes next.
const started = performance.now();

import { renderLab, writeOutput } from '../lib/internal';
import { loadProjections } from '../lib/synth/projections';
import { buildReferenceLab } from '../apps/reference-lab';
import { buildGeneratedLab, GeneratedLabCounts } from './generated-lab';
import { option, reportMeasurement } from './measurement';

/** What the benchmark reads from this process. */
export interface SynthOnceResult {
  /** `reference` or the generated lab's VM count. */
  readonly lab: string;
  /** Constructs in the lab's tree. */
  readonly constructs: number;
  /** What a generated lab holds. */
  readonly counts?: GeneratedLabCounts;
  /** Files written. */
  readonly files: number;
  /** Bytes written. */
  readonly bytes: number;
  /** Warnings the validation reported. */
  readonly warnings: number;
  /** Node's start-up, until this script ran (ms since the process's time origin). */
  readonly startupMs: number;
  /** Loading the library and the projections' modules with their libraries (cdktf, cdk8s, cdk8s-plus-28, handlebars, …), as `homelab synth` does before the app. */
  readonly loadMs: number;
  /** Building the lab's construct tree (the user's program). */
  readonly buildMs: number;
  /** Validation, the three projections and the in-memory render, with the sops check. */
  readonly synthMs: number;
  /** Writing the output folder (atomic, skipping unchanged files). */
  readonly writeMs: number;
  /** Since the process's time origin, at the end. */
  readonly totalMs: number;
  /** CPU time of the process (user and system), at the end: unlike the phases' wall-clock times, it does not count waiting for the disk or for other processes. */
  readonly cpuMs: number;
  /** Peak resident memory of the process, in MiB. */
  readonly maxRssMiB: number;
}

function main(argv: readonly string[]): SynthOnceResult {
  const labArg = option(argv, '--lab') ?? 'reference';
  const out = option(argv, '--out');
  if (!out) {
    throw new Error('give the output folder with --out <dir>');
  }
  const only = option(argv, '--only');
  // As `homelab synth` does, the projections' modules (and cdktf, cdk8s, Handlebars) load before
  // the app: loading them is start-up, not the first synthesis.
  loadProjections(only?.split(','));
  const loaded = performance.now();
  const { lab, constructs, counts } = labArg === 'reference' ? reference() : generated(Number(labArg));
  const built = performance.now();
  // As `homelab synth` does: the sops files of its --secrets folder (default: the working directory).
  const rendered = renderLab(lab, { secretsRoot: option(argv, '--secrets') ?? '.', ...(only ? { only: only.split(',') } : {}) });
  const synthesized = performance.now();
  writeOutput(out, rendered.files, { roots: rendered.projections.map((p) => p.name) });
  const written = performance.now();
  return {
    lab: labArg,
    constructs,
    counts,
    files: rendered.files.length,
    bytes: rendered.files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0),
    warnings: rendered.report.warnings.length,
    startupMs: started,
    loadMs: loaded - started,
    buildMs: built - loaded,
    synthMs: synthesized - built,
    writeMs: written - synthesized,
    totalMs: performance.now(),
    cpuMs: cpuMs(),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

function cpuMs(): number {
  const usage = process.resourceUsage();
  return (usage.userCPUTime + usage.systemCPUTime) / 1000;
}

function reference() {
  const { lab } = buildReferenceLab();
  return { lab, constructs: lab.node.findAll().length, counts: undefined };
}

function generated(vms: number) {
  const { lab, counts } = buildGeneratedLab(vms);
  return { lab, constructs: counts.constructs, counts };
}

if (require.main === module) {
  reportMeasurement(main);
}
