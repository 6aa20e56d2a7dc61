/**
 * Paired, interleaved timing of whole commands: for each way of running the lab, `homelab synth`
 * (side A) against `cdktf synth` + `cdk8s synth` (side B), run A B A B … within one loop over all
 * the ways, so that a burst of load on a shared machine hits both sides of a pair alike. The first
 * round is a warm-up (disk cache, tsx's transform cache) and is not counted. After each side its
 * Terraform JSON and manifests are read, and each pair is checked for byte-identical outputs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sample, summarize } from './stats';

/** One command of a side. */
export interface Step {
  readonly label: string;
  readonly cwd: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** One side of a pair: its commands (run one after the other, timed apart and summed). */
export interface Side {
  readonly steps: readonly Step[];
  /** Untimed, before the side runs (empties its output folders, so every file is written). */
  readonly prepare: () => void;
  /** Untimed, after it ran: the Terraform JSON and manifests it wrote, by `terraform/<stack>/cdk.tf.json` and `k8s/<file>`. */
  readonly outputs: () => Map<string, string>;
}

/** A way of running the lab, measured as pairs. */
export interface PairedPath {
  readonly key: string;
  readonly label: string;
  readonly homelab: Side;
  readonly peers: Side;
}

/** A command timed once per round beside the pairs (no peer). */
export interface SoloCommand {
  readonly key: string;
  readonly label: string;
  readonly step: Step;
  readonly prepare: () => void;
}

/** The measured pairs of one path. */
export interface PairedResult {
  readonly key: string;
  readonly label: string;
  readonly homelabCommand: string;
  readonly peersCommand: string;
  readonly homelab: Sample;
  /** cdktf synth + cdk8s synth, per pair. */
  readonly peers: Sample;
  /** Each peer's command alone, by label. */
  readonly peerSteps: Record<string, Sample>;
  /** Median of the peers / median of homelab. */
  readonly ratio: number;
  /** The pairs' own ratios (peers / homelab within a pair). */
  readonly pairRatios: Sample;
  /** Pairs whose Terraform JSON and manifests were byte-identical, of all pairs. */
  readonly identicalPairs: number;
  readonly pairs: number;
  /** Files that differed in some pair (or were only on one side). */
  readonly differences: readonly string[];
  /** Files compared per pair. */
  readonly filesCompared: number;
  /** SHA-256 of homelab's Terraform JSON and manifests in the last pair (paths and bytes): the same lab gives the same digest on every path. */
  readonly outputDigest: string;
}

/** All of an interleaved run. */
export interface InterleavedRun {
  readonly warmupRounds: number;
  readonly rounds: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly durationMs: number;
  readonly paths: readonly PairedResult[];
  readonly solo: Record<string, { readonly label: string; readonly command: string; readonly wall: Sample }>;
}

/** Runs `warmup` + `rounds` rounds; each round runs every path's A then B, then every solo command. */
export function runInterleaved(paths: readonly PairedPath[], solo: readonly SoloCommand[], warmup: number, rounds: number, log: (m: string) => void): InterleavedRun {
  const loadBefore = loadAverage();
  const started = performance.now();
  const times = new Map<string, { homelab: number[]; peers: number[]; steps: Map<string, number[]>; identical: number; differences: Set<string>; files: number; digest: string }>();
  for (const p of paths) {
    times.set(p.key, { homelab: [], peers: [], steps: new Map(p.peers.steps.map((s) => [s.label, []])), identical: 0, differences: new Set(), files: 0, digest: '' });
  }
  const soloTimes = new Map<string, number[]>(solo.map((s) => [s.key, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    const counted = round >= warmup;
    log(`${counted ? `pair ${round - warmup + 1} of ${rounds}` : 'warm-up round'} (load ${loadAverage()})`);
    for (const p of paths) {
      const t = times.get(p.key)!;
      p.homelab.prepare();
      const a = runSide(p.homelab);
      const ours = p.homelab.outputs();
      p.peers.prepare();
      const b = runSide(p.peers);
      const theirs = p.peers.outputs();
      const differences = compareOutputs(ours, theirs);
      if (!counted) {
        continue;
      }
      t.homelab.push(a.total);
      t.peers.push(b.total);
      b.steps.forEach((ms, i) => t.steps.get(p.peers.steps[i].label)!.push(ms));
      t.files = Math.max(ours.size, theirs.size);
      t.digest = digest(ours);
      if (differences.length === 0 && ours.size > 0) {
        t.identical++;
      }
      differences.forEach((d) => t.differences.add(d));
    }
    for (const s of solo) {
      s.prepare();
      const ms = timeStep(s.step);
      if (counted) {
        soloTimes.get(s.key)!.push(ms);
      }
    }
  }
  return {
    warmupRounds: warmup,
    rounds,
    loadBefore,
    loadAfter: loadAverage(),
    durationMs: performance.now() - started,
    paths: paths.map((p) => {
      const t = times.get(p.key)!;
      const homelab = summarize(t.homelab);
      const peers = summarize(t.peers);
      return {
        key: p.key,
        label: p.label,
        homelabCommand: describe(p.homelab.steps),
        peersCommand: describe(p.peers.steps),
        homelab,
        peers,
        peerSteps: Object.fromEntries([...t.steps].map(([label, ms]) => [label, summarize(ms)])),
        ratio: peers.median / homelab.median,
        pairRatios: summarize(t.peers.map((b, i) => b / t.homelab[i])),
        identicalPairs: t.identical,
        pairs: t.homelab.length,
        differences: [...t.differences].sort(),
        filesCompared: t.files,
        outputDigest: t.digest,
      };
    }),
    solo: Object.fromEntries(solo.map((s) => [s.key, { label: s.label, command: describe([s.step]), wall: summarize(soloTimes.get(s.key)!) }])),
  };
}

/** The Terraform JSON of `<dir>/<stack>/cdk.tf.json` (a homelab `terraform/` or cdktf's `stacks/`) and the manifests in a folder, keyed alike. */
export function readOutputs(terraformDir: string, k8sDir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (fs.existsSync(terraformDir)) {
    for (const stack of fs.readdirSync(terraformDir).sort()) {
      const file = path.join(terraformDir, stack, 'cdk.tf.json');
      if (fs.existsSync(file)) {
        files.set(`terraform/${stack}/cdk.tf.json`, fs.readFileSync(file, 'utf8'));
      }
    }
  }
  if (fs.existsSync(k8sDir)) {
    for (const manifest of fs.readdirSync(k8sDir).sort()) {
      files.set(`k8s/${manifest}`, fs.readFileSync(path.join(k8sDir, manifest), 'utf8'));
    }
  }
  return files;
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

function digest(files: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const [name, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hash.update(`${name}\0${content}\0`);
  }
  return hash.digest('hex');
}

function compareOutputs(ours: Map<string, string>, theirs: Map<string, string>): string[] {
  const names = new Set([...ours.keys(), ...theirs.keys()]);
  return [...names].filter((n) => ours.get(n) === undefined || ours.get(n) !== theirs.get(n)).sort();
}

function runSide(side: Side): { total: number; steps: number[] } {
  const steps = side.steps.map((s) => timeStep(s));
  return { total: steps.reduce((a, b) => a + b, 0), steps };
}

/** Wall time of one run of the step, from spawning to its exit (ms); throws when it fails. */
export function timeStep(step: Step): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(step.command, step.args, { cwd: step.cwd, env: step.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) {
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(`${step.command} ${step.args.join(' ')} (in ${step.cwd}) failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return ms;
}

function describe(steps: readonly Step[]): string {
  return steps.map((s) => s.label).join(' + ');
}
