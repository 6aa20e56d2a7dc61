/**
 * How the lab reports what is wrong: every construct registers its checks with
 * `node.addValidation`, warnings go through {@link Annotations}, and {@link validateLab} runs them
 * all and returns every finding of the tree at once, sorted by construct path.
 */
import { IConstruct } from 'constructs';
import { compareText } from './order';
import { heldValueProblems, problem } from './problems';
import { readableMessage, readablePath } from './readable';

/** How serious a finding is. */
export enum Severity {
  /** Synthesis stops; nothing is written. */
  ERROR = 'error',
  /** Reported; fatal only in strict mode. */
  WARNING = 'warning',
}

/** One thing the validation found. */
export interface Finding {
  /** The construct path (`homelab/maxdata/tank/special`). */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** An error, or a warning (an error in strict mode). */
  readonly severity: Severity;
}

// problem() lives in problems.ts, which validateLab needs (heldValueProblems): defined here, the
// two files would import each other. Re-exported so that checks keep importing it with the rest.
export { problem };

const WARNING_METADATA = 'homelab-cdk:warning';
const ACKNOWLEDGEMENT_METADATA = 'homelab-cdk:acknowledgement';

/** A warning as stored on a construct by {@link Annotations.addWarning}. */
export interface StoredWarning {
  /** What is wrong and how to fix it, without the id. */
  readonly message: string;
  /** The id by which the warning can be acknowledged (`homelab-cdk:l2arc-unmirrored`). */
  readonly id?: string;
}

/** Warnings attached to constructs, in the manner of the AWS CDK's `Annotations`. */
export class Annotations {
  /** The annotations of one construct. */
  public static of(scope: IConstruct): Annotations {
    return new Annotations(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /**
   * Adds a warning. May be called from a validation function: warnings are collected after every
   * validation has run. The same message on the same construct is reported once.
   * @param id a stable id (`homelab-cdk:l2arc-unmirrored`) by which a user can acknowledge the
   *   warning with {@link acknowledgeWarning}; it is shown after the message
   */
  public addWarning(message: string, id: string): void {
    const exists = this.scope.node.metadata.some((m) => m.type === WARNING_METADATA && (m.data as StoredWarning).message === message);
    if (!exists) {
      this.scope.node.addMetadata(WARNING_METADATA, { message, id } satisfies StoredWarning, { stackTrace: false });
    }
  }

  /**
   * Acknowledges the warnings with this id on this construct and everything below it: they are
   * no longer reported, nor fatal in strict mode. Say why, for the next reader.
   */
  public acknowledgeWarning(id: string, reason: string): void {
    this.scope.node.addMetadata(ACKNOWLEDGEMENT_METADATA, { id, reason }, { stackTrace: false });
  }

  /** The warnings added so far, as reported (with their id, when they have one). */
  public get warnings(): string[] {
    return this.stored().map((w) => (w.id ? `${w.message} [${w.id}]` : w.message));
  }

  /** Is the warning id acknowledged on this construct or one of its scopes? */
  public isAcknowledged(id: string): boolean {
    return this.scope.node.scopes.some((c) => c.node.metadata.some((m) => m.type === ACKNOWLEDGEMENT_METADATA && (m.data as { id: string }).id === id));
  }

  /** The warnings with their ids, acknowledged or not. */
  public stored(): StoredWarning[] {
    return this.scope.node.metadata.filter((m) => m.type === WARNING_METADATA).map((m) => m.data as StoredWarning);
  }
}

/** Options of {@link validateLab}. */
export interface ValidateOptions {
  /**
   * Treat warnings as errors.
   * @default false
   */
  readonly strict?: boolean;
}

/** The result of validating a tree. */
export interface ValidationReport {
  /** The errors (and in strict mode the unacknowledged warnings), sorted by path then message. */
  readonly errors: readonly Finding[];
  /** The unacknowledged warnings, sorted by path then message; empty in strict mode. */
  readonly warnings: readonly Finding[];
  /** Warnings that the lab acknowledged (not reported, not fatal). */
  readonly acknowledged?: readonly Finding[];
}

/**
 * Runs every validation of every construct under `root` (the root included) and returns all
 * findings, errors first, each group sorted by path then message. In strict mode the warnings
 * are errors too.
 */
export function validateLab(root: IConstruct, options: ValidateOptions = {}): ValidationReport {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const constructs = root.node.findAll();
  const seenValues = new Set<object>();
  withSharedIndexes(root, () => {
    for (const c of constructs) {
      for (const message of [...checksOf(c), ...heldValueProblems(c, seenValues)]) {
        errors.push(finding(c, message, Severity.ERROR));
      }
    }
  });
  const acknowledged: Finding[] = [];
  for (const c of constructs) {
    const annotations = Annotations.of(c);
    for (const warning of annotations.stored()) {
      const message = warning.id ? `${warning.message} [${warning.id}]` : warning.message;
      if (warning.id && annotations.isAcknowledged(warning.id)) {
        acknowledged.push(finding(c, message, Severity.WARNING));
        continue;
      }
      (options.strict ? errors : warnings).push(finding(c, message, options.strict ? Severity.ERROR : Severity.WARNING));
    }
  }
  return { errors: sortFindings(errors), warnings: sortFindings(warnings), acknowledged: sortFindings(acknowledged) };
}

/**
 * A problem that a check outside the construct found on it: a projection's (see
 * `Projection.validate`), which knows what its format makes of the construct.
 */
export interface ConstructProblem {
  /** The construct the problem is reported on. */
  readonly construct: IConstruct;
  /** The problem, made with {@link problem}. */
  readonly message: string;
}

/** `report` with `problems` among its errors, sorted like the rest. */
export function withProblems(report: ValidationReport, problems: readonly ConstructProblem[]): ValidationReport {
  if (problems.length === 0) {
    return report;
  }
  const errors = [...report.errors, ...problems.map((p) => finding(p.construct, p.message, Severity.ERROR))];
  return { ...report, errors: sortFindings(errors) };
}

/** The construct's own checks; one that throws is a finding too, so the run still reports the rest. */
function checksOf(c: IConstruct): string[] {
  try {
    return c.node.validate();
  } catch (e) {
    return [problem(`a check of this construct failed: ${(e as Error)?.message ?? String(e)}`, 'correct the other errors first; if this one stays, report it as a bug of homelab-cdk')];
  }
}

/** Every finding is made here: its path and message shown safely (see readable.ts). */
function finding(c: IConstruct, message: string, severity: Severity): Finding {
  return { path: readablePath(displayPath(c)), message: readableMessage(message), severity };
}

const RUN_CACHE = Symbol.for('homelab-cdk.validationRunCache');

/**
 * Computes a value once per {@link validateLab} run and shares it between the validations of
 * that run (an index of every address of the lab, say), so that checks over the whole tree stay
 * linear. The key is an object (a `RunIndex` of kind.ts, which is how checks use this), never
 * a string two checks could share by accident. Synthesis keeps the values for its projections too (see {@link withSharedIndexes}).
 * Outside a run it computes afresh on every call.
 */
export function perValidationRun<T>(scope: IConstruct, key: object, compute: () => T): T {
  const cache = (scope.node.root as unknown as Record<symbol, Map<object, unknown> | undefined>)[RUN_CACHE];
  if (!cache) {
    return compute();
  }
  if (!cache.has(key)) {
    cache.set(key, compute());
  }
  return cache.get(key) as T;
}

/**
 * Runs `fn` with one cache for {@link perValidationRun} under `root`: each value is computed once
 * for the whole call. Only for code that reads the tree without changing it: a validation run,
 * or synthesis (validation, then the projections, which read the model and build their output
 * elsewhere). Inside another such call it shares that call's cache.
 */
export function withSharedIndexes<T>(root: IConstruct, fn: () => T): T {
  const holder = root as unknown as Record<symbol, Map<object, unknown> | undefined>;
  if (holder[RUN_CACHE]) {
    return fn();
  }
  holder[RUN_CACHE] = new Map();
  try {
    return fn();
  } finally {
    delete holder[RUN_CACHE];
  }
}

/** One line per finding: `path: message`. */
export function formatFinding(finding: Finding): string {
  return `${finding.path}: ${finding.message}`;
}

/**
 * A finding as scripts read it (`homelab … --json`): the parts of its message apart. The message
 * `what is wrong. Fix: how to fix it. [homelab-cdk:some-id]` gives `message` "what is wrong.",
 * `fix` "how to fix it." and `id` "homelab-cdk:some-id".
 */
export interface FindingRecord {
  /** `error` or `warning`. */
  readonly severity: Severity;
  /** The warning's id, by which it can be acknowledged; null when it has none (every error). */
  readonly id: string | null;
  /** The construct path, or the app file and line; null for a failure of the command itself. */
  readonly path: string | null;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it; null when the message gives no fix. */
  readonly fix: string | null;
}

/** The finding with its message split into what is wrong, the fix and the warning id. */
export function findingRecord(finding: Finding): FindingRecord {
  let text = finding.message;
  let id: string | null = null;
  const withId = /\s*\[(homelab-cdk:[A-Za-z0-9._-]+)\]$/.exec(text);
  if (withId) {
    id = withId[1];
    text = text.slice(0, withId.index);
  }
  const at = text.indexOf(' Fix: ');
  const message = at < 0 ? text : text.slice(0, at);
  const fix = at < 0 ? null : text.slice(at + ' Fix: '.length);
  return { severity: finding.severity, id, path: finding.path, message, fix };
}

/** Thrown when a lab has validation errors; carries all of them. */
export class ValidationError extends Error {
  public constructor(
    /** The validation's report: its errors are the reason for the throw. */
    public readonly report: ValidationReport,
  ) {
    super(
      `${report.errors.length} validation error(s); nothing was written:\n` +
        report.errors.map((f) => '  ' + formatFinding(f)).join('\n'),
    );
    this.name = 'ValidationError';
  }
}

/** The path shown to users: the construct path, or the root's id for the root itself. */
export function displayPath(c: IConstruct): string {
  return c.node.path || c.node.id || '<root>';
}

function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => compareText(a.path, b.path) || compareText(a.message, b.message));
}
