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

/** One output format. */
export interface Projection {
  /** The projection's name, also its folder in the output (`nix` → `dist/nix`). */
  readonly name: string;
  /** What it is, for help texts. */
  readonly description: string;
  /** Renders the lab in memory; paths are relative to the projection's folder. */
  render(lab: Homelab): OutputFile[];
}

/** Renders a lab in one format (the function a projection's module provides). */
export type ProjectionRenderer = (lab: Homelab) => OutputFile[];

/**
 * Hands a projection's renderer to {@link PROJECTIONS}; each projection's module calls it once as
 * it loads. A module that is loaded already (an app that imports the whole library, a test) is
 * used as it is; only a projection whose module nobody loaded yet is required on first use. That
 * keeps one instance of every module: under a module system other than Node's `require` (a test
 * runner's), the lazy `require` is never needed.
 */
export function provideProjectionRenderer(name: string, render: ProjectionRenderer): void {
  renderers.set(name, render);
}

const renderers = new Map<string, ProjectionRenderer>();

/**
 * A projection that loads its module on first render. `load` is a literal `require` of the module
 * (so that compilers and bundlers see the dependency); the module registers its renderer.
 */
function lazyProjection(name: string, description: string, load: () => unknown): Projection {
  return {
    name,
    description,
    render(lab: Homelab): OutputFile[] {
      if (!renderers.has(name)) {
        load();
      }
      const render = renderers.get(name);
      if (!render) {
        throw new Error(`the module of the ${name} projection did not provide its renderer`);
      }
      return render(lab);
    },
  };
}

/** Every projection, in the order they run. */
export const PROJECTIONS: readonly Projection[] = [
  lazyProjection('nix', 'NixOS flake for every host', () => require('../nix/nix-projection')),
  lazyProjection('terraform', 'Terraform JSON (cdktf, bpg/proxmox) for the VMs, one folder per stack', () => require('../terraform/terraform-projection')),
  lazyProjection('k8s', "Kubernetes manifests of the lab's k3s cluster (cdk8s)", () => require('../k8s/kubernetes-app')),
];
