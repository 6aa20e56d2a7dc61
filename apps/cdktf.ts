/**
 * The entry point of `cdktf synth` / `cdktf deploy` (see cdktf.json): the reference lab's
 * Terraform stacks, written to cdktf.out/stacks/<stack>/cdk.tf.json. `homelab synth` writes the
 * same JSON to dist/terraform/<stack>/cdk.tf.json.
 */
import { App } from 'cdktf';
import { synthesizeTerraformApp } from '../lib/terraform';
import { buildReferenceLab } from './reference-lab';

// The lab is validated by homelab-cdk before synthesis. cdktf's own app validation would only add
// a check of the local Terraform binary's version (for the import blocks), which needs Terraform
// installed just to synthesize; `cdktf deploy` runs Terraform, which refuses import blocks
// itself below 1.5.
synthesizeTerraformApp(buildReferenceLab().lab, new App({ skipValidation: true }));
