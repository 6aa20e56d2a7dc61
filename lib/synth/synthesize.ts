import * as path from 'node:path';
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { OutputOptions, OutputPlan, planOutput, writeOutput } from '../core/output-writer';
import { readableMessage } from '../core/readable';
import { ConstructProblem, displayPath, Finding, problem, Severity, ValidateOptions, validateLab, ValidationError, ValidationReport, withProblems, withSharedIndexes } from '../core/validation';
import { compareText } from '../core/order';
import { checkSopsFiles } from './secrets';
import { Projection, PROJECTIONS } from './projections';

/** Options of {@link synthesize} and {@link renderLab}. */
export interface SynthOptions {
  /**
   * The output folder.
   * @default "dist"
   */
  readonly outdir?: string;
  /**
   * Treat warnings as errors.
   * @default false
   */
  readonly strict?: boolean;
  /**
   * The projections to run, by name (`nix`, `terraform`, `k8s`).
   * @default - all of them
   */
  readonly only?: readonly string[];
  /**
   * Take over files at generated paths that the output folder's manifest does not list (see
   * {@link OutputOptions.adopt}).
   * @default false
   */
  readonly adopt?: boolean;
  /**
   * The project's folder, which holds the sops files that the lab's secrets name (what `homelab
   * secrets init` writes): synth checks them against the secrets the hosts read and copies them
   * into the flake (see `homelab secrets init` and lib/synth/secrets.ts). The CLI gives its working directory.
   * @default - no check, and no sops file in the flake
   */
  readonly secretsRoot?: string;
}

/** A lab rendered in memory. */
export interface RenderedLab {
  /** Validation findings (no errors: rendering happens only without them). */
  readonly report: ValidationReport;
  /** Every file, with paths relative to the output folder (`nix/flake.nix`). */
  readonly files: readonly OutputFile[];
  /** The projections that ran. */
  readonly projections: readonly Projection[];
}

/** The result of {@link synthesize}. */
export interface SynthResult extends RenderedLab {
  /** The output folder, absolute. */
  readonly outdir: string;
  /** What changed on disk. */
  readonly plan: OutputPlan;
}

/**
 * Validates the whole lab, then renders every projection in memory. Throws a
 * {@link ValidationError} with all errors when the lab has any; nothing is rendered then. With
 * {@link SynthOptions.secretsRoot}, the flake's files include the project's sops files, checked
 * against the secrets its hosts read (a ValidationError when they do not match).
 */
export function renderLab(lab: Homelab, options: SynthOptions = {}): RenderedLab {
  const projections = selectProjections(options.only);
  // The model does not change from here on: the projections reuse the validation's indexes
  // (VMs by host, users of the lab, …) instead of walking the tree again for every host.
  return withSharedIndexes(lab, () => {
    const report = validateForSynthesis(lab, { strict: options.strict, only: options.only });
    if (report.errors.length > 0) {
      throw new ValidationError(report);
    }
    const files: OutputFile[] = [];
    for (const projection of projections) {
      for (const file of renderProjection(projection, lab)) {
        files.push({ ...file, path: `${projection.name}/${file.path}` });
      }
    }
    // In the same run as the projections: the sops check reads the secrets from the flake just
    // rendered (lib/nix/nix-projection.ts keeps it for the run) instead of rendering it again.
    return withSopsFiles(lab, { report, files, projections }, options);
  });
}

/** Options of {@link validateForSynthesis}. */
export interface SynthValidateOptions extends ValidateOptions {
  /**
   * The projections whose own checks run, by name (`nix`, `terraform`, `k8s`).
   * @default - all of them
   */
  readonly only?: readonly string[];
}

/**
 * Everything synthesis checks before it writes: the model's validation, then each projection's
 * own checks (see {@link Projection.validate}), in one report sorted by path.
 */
export function validateForSynthesis(lab: Homelab, options: SynthValidateOptions = {}): ValidationReport {
  const projections = selectProjections(options.only);
  return withSharedIndexes(lab, () => {
    const report = validateLab(lab, { strict: options.strict });
    return withProblems(report, projections.flatMap((p) => projectionProblems(p, lab, report)));
  });
}

/**
 * A projection's own checks. They read a model that may have errors; when they fail on one, the
 * model's errors say why, and the failure is only reported on a model without errors.
 */
function projectionProblems(projection: Projection, lab: Homelab, report: ValidationReport): ConstructProblem[] {
  try {
    return projection.validate?.(lab) ?? [];
  } catch (e) {
    if (report.errors.length > 0) {
      return [];
    }
    const message = problem(
      `the ${projection.name} projection could not check the lab: ${(e as Error)?.message ?? String(e)}`,
      'report it as a bug of homelab-cdk (HOMELAB_DEBUG=1 prints the stack)',
    );
    return [{ construct: lab, message }];
  }
}

/** Validates, renders, and writes the output atomically. Nothing is written on any error. */
export function synthesize(lab: Homelab, options: SynthOptions = {}): SynthResult {
  return renderAndApply(lab, options, writeOutput);
}

/** What {@link synthesize} would change, without writing. */
export function planSynth(lab: Homelab, options: SynthOptions = {}): SynthResult {
  return renderAndApply(lab, options, planOutput);
}

function renderAndApply(lab: Homelab, options: SynthOptions, apply: (outdir: string, files: readonly OutputFile[], options: OutputOptions) => OutputPlan): SynthResult {
  const rendered = renderLab(lab, options);
  const outdir = path.resolve(options.outdir ?? 'dist');
  const plan = apply(outdir, rendered.files, { roots: rendered.projections.map((p) => p.name), adopt: options.adopt });
  return { ...rendered, outdir, plan };
}

/** The rendered lab with the project's sops files in its flake, or a ValidationError with what is wrong with them. */
function withSopsFiles(lab: Homelab, rendered: RenderedLab, options: SynthOptions): RenderedLab {
  if (options.secretsRoot === undefined || !rendered.projections.some((p) => p.name === 'nix')) {
    return rendered;
  }
  const check = checkSopsFiles(lab, path.resolve(options.secretsRoot));
  const fatal = (f: Finding) => f.severity === Severity.ERROR || options.strict === true;
  const byPath = (a: Finding, b: Finding) => compareText(a.path, b.path) || compareText(a.message, b.message);
  const errors = [...rendered.report.errors, ...check.findings.filter(fatal).map((f) => ({ ...f, severity: Severity.ERROR }))].sort(byPath);
  const report = { ...rendered.report, errors, warnings: [...rendered.report.warnings, ...check.findings.filter((f) => !fatal(f))].sort(byPath) };
  if (errors.length > 0) {
    throw new ValidationError(report);
  }
  // Beside the flake's other files, in path order, before the other projections' files.
  const nix = [...rendered.files.filter((f) => f.path.startsWith('nix/')), ...check.files].sort((a, b) => compareText(a.path, b.path));
  return { ...rendered, report, files: [...nix, ...rendered.files.filter((f) => !f.path.startsWith('nix/'))] };
}

/**
 * One projection's files. What the validation let through must render; when it does not, the
 * failure is a finding on the lab (a gap of the validation), not a bare exception.
 */
function renderProjection(projection: Projection, lab: Homelab): readonly OutputFile[] {
  try {
    return projection.render(lab);
  } catch (e) {
    if (e instanceof ValidationError) {
      throw e;
    }
    const message = problem(
      `the ${projection.name} projection could not render the lab: ${(e as Error)?.message ?? String(e)}`,
      'the validation should have caught this: correct the value the message names, and report it as a bug of homelab-cdk (HOMELAB_DEBUG=1 prints the stack)',
    );
    const error = new ValidationError({ errors: [{ path: displayPath(lab), message: readableMessage(message), severity: Severity.ERROR }], warnings: [] });
    Object.defineProperty(error, 'cause', { value: e });
    throw error;
  }
}

function selectProjections(only: readonly string[] | undefined): Projection[] {
  if (!only || only.length === 0) {
    return [...PROJECTIONS];
  }
  const unknown = only.filter((name) => !PROJECTIONS.some((p) => p.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown projection ${unknown.join(', ')}; choose from ${PROJECTIONS.map((p) => p.name).join(', ')}`);
  }
  return PROJECTIONS.filter((p) => only.includes(p.name));
}
