/**
 * The entry point of `cdktf synth` / `cdktf deploy` (see cdktf.json): the reference lab's
 * Terraform stacks, written to cdktf.out/stacks/<stack>/cdk.tf.json. `homelab synth` writes the
 * same JSON to dist/terraform/<stack>/cdk.tf.json.
 */
import { synthesizeTerraformApp } from '../lib';
import { buildReferenceLab } from './reference-lab';

synthesizeTerraformApp(buildReferenceLab().lab);
