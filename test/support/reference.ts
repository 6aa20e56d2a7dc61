/** The reference lab of apps/, synthesized once into a temporary folder for a test file. */
import * as path from 'node:path';
import { synthesize, SynthResult } from '../../lib';
import { buildReferenceLab, ReferenceLab } from '../../apps/reference-lab';
import { tempDir } from './labs';

/** A fresh reference lab and its synthesized output. */
export function synthesizeReferenceLab(): { ref: ReferenceLab; result: SynthResult; nixDir: string } {
  const ref = buildReferenceLab();
  const result = synthesize(ref.lab, { outdir: tempDir('homelab-ref-') });
  return { ref, result, nixDir: path.join(result.outdir, 'nix') };
}
