/** The default app of `homelab synth`: the reference homelab. */
import { buildReferenceLab } from './reference-lab';

export default () => buildReferenceLab().lab;
