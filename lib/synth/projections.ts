/**
 * The projections of the model: each renders the lab in one format, into its own folder of the
 * output. They are independent; `homelab synth` runs them all, in-process, from one tree.
 */
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { ConstructProblem } from '../core/validation';
import { renderKubernetesManifests, validateKubernetes } from '../k8s/kubernetes-app';
import { renderNixFlake } from '../nix/nix-projection';
import { renderTerraformStacks } from '../terraform/terraform-projection';

/** One output format. */
export interface Projection {
  /** The projection's name, also its folder in the output (`nix` → `dist/nix`). */
  readonly name: string;
  /** What it is, for help texts. */
  readonly description: string;
  /** Renders the lab in memory; paths are relative to the projection's folder. */
  render(lab: Homelab): OutputFile[];
  /**
   * The problems only this projection can see (what its format makes of the model), each on its
   * construct. Synthesis runs it after the model's own validation, in the same run, and writes
   * nothing when any projection reports a problem.
   * @default - none: the model's validation is enough
   */
  validate?(lab: Homelab): ConstructProblem[];
}

/** Every projection, in the order they run. */
export const PROJECTIONS: readonly Projection[] = [
  { name: 'nix', description: 'NixOS flake for every host', render: renderNixFlake },
  { name: 'terraform', description: 'Terraform JSON (cdktf, bpg/proxmox) for the VMs, one folder per stack', render: renderTerraformStacks },
  { name: 'k8s', description: "Kubernetes manifests of the lab's k3s cluster (cdk8s)", render: renderKubernetesManifests, validate: validateKubernetes },
];
