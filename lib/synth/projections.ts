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
import { Projection, providedProjection } from '../core/projection';

export type { Projection, ProjectionRenderer, ProjectionValidator } from '../core/projection';
export { provideProjectionRenderer } from '../core/projection';

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
    if (!providedProjection(name)) {
      load();
    }
    const functions = providedProjection(name);
    if (!functions) {
      throw new Error(`the module of the ${name} projection did not provide its renderer`);
    }
    return functions;
  };
  return {
    name,
    description,
    load: () => void loaded(),
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

/**
 * Loads the modules (and format libraries) of these projections now (default: all of them), as
 * `homelab synth` does before it loads a TypeScript app: a module loaded after tsx's loader is
 * registered goes through its hooks, and after the app turned source maps on through Node's
 * source-map parsing, which together cost a cold run about a third of its time (issue 17). What
 * the app itself imports still goes through tsx.
 */
export function loadProjections(only?: readonly string[]): void {
  for (const projection of PROJECTIONS) {
    if (!only || only.length === 0 || only.includes(projection.name)) {
      projection.load?.();
    }
  }
}
