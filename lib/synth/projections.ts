/**
 * The projections of the model: each renders the lab in one format, into its own folder of the
 * output. They are independent; `homelab synth` runs them all, in-process, from one tree.
 *
 * A projection's module (and the format library behind it: cdktf, cdk8s, Handlebars) is loaded
 * only when the projection first renders. Loading cdktf and cdk8s-plus-28 is most of a cold
 * `homelab synth`'s start-up (issue 17: ~800 modules), and `homelab synth --only nix`, `validate`,
 * `diagram` or `runbook` need neither.
 */
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { ConstructProblem } from '../core/validation';

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

/** Renders a lab in one format (the function a projection's module provides). */
export type ProjectionRenderer = (lab: Homelab) => OutputFile[];

/** The problems only a projection can see (see {@link Projection.validate}). */
export type ProjectionValidator = (lab: Homelab) => ConstructProblem[];

/**
 * Hands a projection's renderer (and its validation, if it has one) to {@link PROJECTIONS}; each
 * projection's module calls it once as it loads. A module that is loaded already (an app that
 * imports the whole library, a test) is used as it is; only a projection whose module nobody
 * loaded yet is required on first use. That keeps one instance of every module: under a module
 * system other than Node's `require` (a test runner's), the lazy `require` is never needed.
 */
export function provideProjectionRenderer(name: string, render: ProjectionRenderer, validate?: ProjectionValidator): void {
  provided.set(name, { render, validate });
}

const provided = new Map<string, { readonly render: ProjectionRenderer; readonly validate?: ProjectionValidator }>();

/** Options of {@link lazyProjection}. */
interface LazyProjectionOptions {
  /** The projection has a validation of its own (its module provides it). */
  readonly validates?: boolean;
}

/**
 * A projection that loads its module on first use. `load` is a literal `require` of the module
 * (so that compilers and bundlers see the dependency); the module provides its functions.
 */
function lazyProjection(name: string, description: string, load: () => unknown, options: LazyProjectionOptions = {}): Projection {
  const loaded = () => {
    if (!provided.has(name)) {
      load();
    }
    const functions = provided.get(name);
    if (!functions) {
      throw new Error(`the module of the ${name} projection did not provide its renderer`);
    }
    return functions;
  };
  return {
    name,
    description,
    render: (lab) => loaded().render(lab),
    // Only a projection that has a validation loads its module to validate.
    ...(options.validates ? { validate: (lab: Homelab) => loaded().validate?.(lab) ?? [] } : {}),
  };
}

/** Every projection, in the order they run. */
export const PROJECTIONS: readonly Projection[] = [
  lazyProjection('nix', 'NixOS flake for every host', () => require('../nix/nix-projection')),
  lazyProjection('terraform', 'Terraform JSON (cdktf, bpg/proxmox) for the VMs, one folder per stack', () => require('../terraform/terraform-projection')),
  lazyProjection('k8s', "Kubernetes manifests of the lab's k3s cluster (cdk8s)", () => require('../k8s/kubernetes-app'), { validates: true }),
];
