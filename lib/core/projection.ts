/**
 * The seam between synthesis and the projections: what a projection is, and where each
 * projection's module hands over its renderer as it loads. It lives in core so that the
 * projections (lib/nix, lib/terraform, lib/k8s) register themselves without importing the
 * synthesis layer that runs them (lib/synth/projections.ts lists them and loads them lazily).
 */
import { Homelab } from './homelab';
import { OutputFile } from './output-file';
import { ConstructProblem } from './validation';

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
  /**
   * Loads what the projection renders with (its module, its format library) ahead of its first
   * render, so that a cold run can load it before the app (see `loadProjections`).
   * @default - it loads on first use
   */
  load?(): void;
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

const provided = new Map<string, ProvidedProjection>();

/** The renderer (and validation) a projection's module provided, or undefined before it loaded. */
export function providedProjection(name: string): ProvidedProjection | undefined {
  return provided.get(name);
}

/** What a projection's module provides. */
export interface ProvidedProjection {
  /** Its renderer. */
  readonly render: ProjectionRenderer;
  /** Its validation, if it has one. */
  readonly validate?: ProjectionValidator;
}
