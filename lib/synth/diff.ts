/**
 * `homelab diff`: what the next `homelab synth` would change in the output folder, as unified
 * diffs (the preview users know from `cdktf diff` and `pulumi preview`), writing nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Homelab } from '../core/homelab';
import { planSynth, SynthOptions, SynthResult } from './synthesize';
import { byText } from '../core/order';

/** One file's change. */
export interface FileChange {
  /** Path relative to the output folder. */
  readonly path: string;
  /** Whether the next synth would add the file, change it, or remove it. */
  readonly kind: 'added' | 'changed' | 'removed';
  /** The unified diff (`--- a/…`, `+++ b/…`, hunks). */
  readonly patch: string;
}

/** The result of {@link diffLab}. */
export interface LabDiff {
  /** The run as {@link planSynth} made it: the report, the rendered files, the plan (nothing written). */
  readonly result: SynthResult;
  /** Changes sorted by path. */
  readonly changes: readonly FileChange[];
}

/** Validates and renders the lab, and compares it with what is in the output folder. */
export function diffLab(lab: Homelab, options: SynthOptions = {}): LabDiff {
  const result = planSynth(lab, options);
  const rendered = new Map(result.files.map((f) => [f.path, f.content]));
  const read = (rel: string) => fs.readFileSync(path.join(result.outdir, rel), 'utf8');
  const changes: FileChange[] = [];
  for (const p of result.plan.added) {
    changes.push({ path: p, kind: 'added', patch: patch(p, undefined, rendered.get(p)!) });
  }
  for (const p of result.plan.changed) {
    changes.push({ path: p, kind: 'changed', patch: patch(p, read(p), rendered.get(p)!) });
  }
  for (const p of result.plan.removed) {
    changes.push({ path: p, kind: 'removed', patch: patch(p, read(p), undefined) });
  }
  changes.sort(byText((x) => x.path));
  return { result, changes };
}

function patch(file: string, before: string | undefined, after: string | undefined): string {
  // Loaded here, not with the module: the CLI loads this module for every command, and only
  // `homelab diff` makes patches (jsdiff is ~20 modules of a cold `homelab synth`).
  const { createTwoFilesPatch } = require('diff') as typeof import('diff');
  const text = createTwoFilesPatch(
    before === undefined ? '/dev/null' : `a/${file}`,
    after === undefined ? '/dev/null' : `b/${file}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  // jsdiff starts with an "Index"-less "===" separator line; keep the git-style header only.
  return text.replace(/^=+\n/, '');
}
