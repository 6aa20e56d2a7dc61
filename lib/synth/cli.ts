/**
 * The `homelab` command line: `homelab synth` validates the lab, renders every projection and
 * writes `dist/`; `homelab validate` only validates; `homelab diff` shows what synth would change.
 * Every command takes `--json` (its result, or its errors, as JSON on standard output).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { describeRecovery, recoverOutput } from '../core/output-writer';
import { readableMessage } from '../core/readable';
import { colourPatch, colourWanted, palette, Palette } from './colour';
import { Finding, findingRecord, FindingRecord, problem, Severity, ValidationError } from '../core/validation';
import { loadLab } from './app-loader';
import { configuredApp, initProject, TerraformCdk } from './init';
import { formatRunbook, labRunbook } from './runbook';
import { typeCheckApp } from './type-check';
import { labDiagram } from './diagram';
import { diffLab } from './diff';
import { loadProjections, PROJECTIONS } from './projections';
import { formatSummary, outputSummary, summarizeLab } from './summary';
import { synthesize, validateForSynthesis } from './synthesize';
import { formatSecretsInit, initSecrets } from './secrets';
import { ignoredFlakeWarning } from './flake-in-git';

/** Where the CLI writes. */
export interface CliIo {
  /** Writes one line of results (the summary, a diff, a diagram) to standard output. */
  readonly out: (text: string) => void;
  /** Writes one line of errors, warnings and usage help to standard error. */
  readonly err: (text: string) => void;
  /**
   * Which of the two streams get colour (see colour.ts).
   * @default - none
   */
  readonly colour?: CliColour;
}

/** Which of the CLI's two streams get colour. */
export interface CliColour {
  /** Standard output (summaries, diffs, diagrams). */
  readonly out: boolean;
  /** Standard error (errors, warnings). */
  readonly err: boolean;
}

/** The default app file, relative to the working directory. */
export const DEFAULT_APP = 'apps/main.ts';

const processIo: CliIo = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  colour: {
    out: colourWanted({ isTTY: process.stdout.isTTY, env: process.env }),
    err: colourWanted({ isTTY: process.stderr.isTTY, env: process.env }),
  },
};

/** Exit codes of `homelab diff --exit-code`, as `git diff --exit-code` and `kubectl diff` give them. */
export const DIFF_EXIT_CODES: DiffExitCodes = { noChanges: 0, changes: 1, error: 2 };

/** The exit codes of `homelab diff --exit-code`. */
export interface DiffExitCodes {
  /** The output folder already holds what synth would write. */
  readonly noChanges: 0;
  /** Synth would add, change or remove files. */
  readonly changes: 1;
  /** Any error: the model's, a failed command, a usage error. */
  readonly error: 2;
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  // lib/synth/cli.ts, or build/lib/synth/cli.js once compiled.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'homelab-cdk' && pkg.version) {
        return pkg.version;
      }
    }
    if (path.dirname(dir) === dir) {
      return 'unknown';
    }
  }
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 validation or synthesis errors, 2 usage errors; `diff --exit-code` gives
 * {@link DIFF_EXIT_CODES} instead.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  // With --json, errors (usage errors too) are printed as JSON on standard output as well.
  const json = argv.includes('--json');
  // With diff --exit-code, 1 means "changes", so every error is 2.
  let diffExitCodes = false;
  const out = palette(io.colour?.out ?? false);
  const err = palette(io.colour?.err ?? false);
  const printJson = (value: unknown) => io.out(JSON.stringify(value, null, 2));
  const program = new Command('homelab')
    .description('Synthesize a homelab described with homelab-cdk: NixOS flake, Terraform JSON, Kubernetes manifests.')
    .version(packageVersion(), '-V, --version', "print homelab-cdk's version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  // The app: --app, else $HOMELAB_APP, else the "homelab": { "app" } key of ./package.json
  // (homelab init writes it), else the reference lab of this repository.
  const appOption = () =>
    new Option('-a, --app <file>', 'the app file that exports the lab (default: $HOMELAB_APP, package.json\'s homelab.app, or apps/main.ts)').default(
      process.env.HOMELAB_APP ?? configuredApp(process.cwd()) ?? DEFAULT_APP,
    );
  const strictOption = () => new Option('--strict', 'treat warnings as errors').default(false);
  const secretsOption = () =>
    new Option('--secrets <dir>', 'the project folder that holds .sops.yaml and secrets/ (what homelab secrets init writes)').default('.', 'the working directory');
  const adoptOption = () =>
    new Option('--adopt', 'take over files at generated paths that homelab did not write (else each is an error that names it)').default(false);
  // Before anything else: a write into the output folder that an earlier run began and did not
  // end (killed, crashed) is finished or undone, and the user is told which.
  const recover = (out: string) => {
    const recovery = recoverOutput(out);
    if (recovery) {
      io.err(`homelab: ${describeRecovery(out, recovery)}`);
    }
  };

  program
    .command('synth')
    .description('validate the lab and write every output into the output folder')
    .addOption(appOption())
    .option('-o, --out <dir>', 'the output folder', 'dist')
    .addOption(strictOption())
    .addOption(new Option('--only <projections...>', 'run only these projections').choices(PROJECTIONS.map((p) => p.name)))
    .option('-q, --quiet', 'print errors only', false)
    .option('--json', 'print the summary (or the errors) as JSON on standard output', false)
    .addOption(adoptOption())
    .addOption(secretsOption())
    .action((opts: { app: string; out: string; strict: boolean; only?: string[]; quiet: boolean; json: boolean; adopt: boolean; secrets: string }) => {
      recover(opts.out);
      loadProjections(opts.only);
      const lab = loadLab(opts.app);
      const started = process.hrtime.bigint();
      const result = synthesize(lab, { outdir: opts.out, strict: opts.strict, only: opts.only, adopt: opts.adopt, secretsRoot: opts.secrets });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rel = path.relative(process.cwd(), result.outdir) || '.';
      const ignored = ignoredFlakeWarning(lab, path.join(result.outdir, 'nix'), opts.only);
      const report = ignored ? { ...result.report, warnings: [...result.report.warnings, ignored] } : result.report;
      if (ignored && opts.strict) {
        throw new ValidationError({ ...report, errors: [{ ...ignored, severity: Severity.ERROR }], warnings: result.report.warnings });
      }
      const summary = summarizeLab(lab, report, outputSummary(rel, result.plan, ms));
      if (opts.json) {
        printJson({ ...summary, warnings: summary.warnings.map(findingRecord) });
      } else if (!opts.quiet) {
        io.out(formatSummary(summary));
      }
    });

  program
    .command('diff')
    .description('show what the next synth would change in the output folder, as unified diffs; write nothing')
    .addOption(appOption())
    .option('-o, --out <dir>', 'the output folder to compare with', 'dist')
    .addOption(strictOption())
    .addOption(new Option('--only <projections...>', 'compare only these projections').choices(PROJECTIONS.map((p) => p.name)))
    .option('--stat', 'list the changed files only', false)
    .option('--exit-code', 'exit 1 when there are changes and 2 on any error (0: no changes), as git diff --exit-code', false)
    .option('--json', 'print the changes (or the errors) as JSON on standard output', false)
    .addOption(adoptOption())
    .addOption(secretsOption())
    .action((opts: { app: string; out: string; strict: boolean; only?: string[]; stat: boolean; exitCode: boolean; json: boolean; adopt: boolean; secrets: string }) => {
      diffExitCodes = opts.exitCode;
      recover(opts.out);
      loadProjections(opts.only);
      const lab = loadLab(opts.app);
      const { result, changes } = diffLab(lab, { outdir: opts.out, strict: opts.strict, only: opts.only, adopt: opts.adopt, secretsRoot: opts.secrets });
      printWarnings(result.report.warnings, io, err);
      const count = (kind: string) => changes.filter((c) => c.kind === kind).length;
      if (opts.json) {
        printJson({
          lab: lab.name,
          added: count('added'),
          changed: count('changed'),
          removed: count('removed'),
          changes: changes.map((c) => (opts.stat ? { kind: c.kind, path: c.path } : { kind: c.kind, path: c.path, patch: c.patch })),
          warnings: result.report.warnings.map(findingRecord),
        });
      } else {
        for (const change of changes) {
          io.out(opts.stat ? `${change.kind.padEnd(8)} ${change.path}` : colourPatch(change.patch.trimEnd(), out));
        }
        io.out(
          changes.length === 0
            ? `${lab.name}: no changes`
            : `${lab.name}: ${count('added')} added, ${count('changed')} changed, ${count('removed')} removed (nothing written)`,
        );
      }
      if (opts.exitCode && changes.length > 0) {
        exitCode = DIFF_EXIT_CODES.changes;
      }
    });

  const secrets = program.command('secrets').description("the lab's sops secrets: host keys, age recipients, .sops.yaml and the encrypted files");
  secrets
    .command('init')
    .description('make or complete the host keys, the admin age identity, .sops.yaml and the sops files the lab reads (keeps every existing key and value)')
    .addOption(appOption())
    .addOption(secretsOption())
    .option('--json', 'print what was made and kept as JSON on standard output', false)
    .action((opts: { app: string; secrets: string; json: boolean }) => {
      const lab = loadLab(opts.app);
      const report = validateForSynthesis(lab);
      if (report.errors.length > 0) {
        throw new ValidationError(report);
      }
      const result = initSecrets(lab, { root: opts.secrets });
      if (opts.json) {
        printJson({ lab: lab.name, ...result });
        return;
      }
      io.out(formatSecretsInit(result));
    });

  program
    .command('runbook')
    .description("print the lab's first deploy as Markdown: the steps in dependency order, each with its commands and checks")
    .addOption(appOption())
    .action((opts: { app: string }) => {
      const lab = loadLab(opts.app);
      io.out(formatRunbook(lab, labRunbook(lab)).trimEnd());
    });

  program
    .command('init')
    .description('start a homelab repository of your own in a new folder: package.json, tsconfig, a starter lab, cdktf.json, cdk8s.yaml, .gitignore')
    .argument('[dir]', 'the folder to create the project in', '.')
    .option('--package <spec>', "how package.json names homelab-cdk (a version range, a tarball, a git URL)")
    .addOption(
      new Option('--terraform-cdk <cdk>', "the Terraform CDK: HashiCorp's cdktf, or its maintained fork CDK Terrain (cdktn; its CLI needs Node.js 22.19+)")
        .choices(Object.values(TerraformCdk))
        .default(TerraformCdk.CDKTF),
    )
    .action((dir: string, opts: { package?: string; terraformCdk: TerraformCdk }) => {
      const result = initProject(dir, { packageSpec: opts.package, terraformCdk: opts.terraformCdk });
      const rel = path.relative(process.cwd(), result.dir);
      const shown = rel === '' ? '.' : rel.startsWith('..') ? result.dir : rel;
      io.out(`homelab: wrote ${result.files.join(', ')} in ${shown}`);
      io.out(`next: ${shown === '.' ? '' : `cd ${shown} && `}npm install && npm run check && npm run synth`);
    });

  program
    .command('diagram')
    .description('print a Mermaid flowchart of the lab (hosts, VMs, pools, DNS, Wake-on-LAN, cluster)')
    .addOption(appOption())
    .option('--json', 'print {"lab", "mermaid"} as JSON on standard output', false)
    .action((opts: { app: string; json: boolean }) => {
      const lab = loadLab(opts.app);
      const mermaid = labDiagram(lab);
      if (opts.json) {
        printJson({ lab: lab.name, mermaid });
      } else {
        io.out(mermaid);
      }
    });

  program
    .command('validate')
    .description('validate the lab and print every finding; write nothing')
    .addOption(appOption())
    .addOption(strictOption())
    .option('-o, --out <dir>', 'the output folder, where an interrupted write is finished first', 'dist')
    .option('--json', 'print {"lab", "valid", "errors", "warnings"} as JSON on standard output', false)
    .option('--type-check', 'run the TypeScript compiler on the app too (tsx, which loads it, checks no types)', false)
    .action((opts: { app: string; strict: boolean; out: string; json: boolean; typeCheck: boolean }) => {
      recover(opts.out);
      const typeErrors = opts.typeCheck ? typeCheckApp(opts.app) : [];
      let lab;
      try {
        lab = loadLab(opts.app);
      } catch (e) {
        throw e instanceof ValidationError && typeErrors.length > 0 ? new ValidationError({ ...e.report, errors: [...typeErrors, ...e.report.errors] }) : e;
      }
      const report = validateForSynthesis(lab, { strict: opts.strict });
      if (report.errors.length + typeErrors.length > 0) {
        throw new ValidationError({ ...report, errors: [...typeErrors, ...report.errors] });
      }
      printWarnings(report.warnings, io, err);
      if (opts.json) {
        printJson({ lab: lab.name, valid: true, errors: [], warnings: report.warnings.map(findingRecord), acknowledgedWarnings: report.acknowledged?.length ?? 0 });
      } else {
        io.out(`${lab.name}: valid (${report.warnings.length} warning(s))`);
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    const code = handleError(e, io, err, json);
    exitCode = diffExitCodes && code !== 0 ? DIFF_EXIT_CODES.error : code;
  }
  return exitCode;
}

/** One finding as a line: `error homelab/b: …`, the severity coloured and the path bold. */
function findingLine(f: Finding, p: Palette): string {
  const label = f.severity === Severity.ERROR ? p.red('error') : p.yellow('warning');
  return `${label} ${p.bold(f.path)}: ${f.message}`;
}

function printWarnings(warnings: readonly Finding[], io: CliIo, p: Palette): void {
  for (const w of warnings) {
    io.err(findingLine(w, p));
  }
}

/** The JSON that a failed command prints with --json: never nothing. */
function failureJson(errors: readonly FindingRecord[], warnings: readonly FindingRecord[]): string {
  return JSON.stringify({ valid: false, errors, warnings }, null, 2);
}

/** A failure of the command itself (not of a construct) as a finding record: its path is null. */
function commandFailure(messageWithFix: string): FindingRecord {
  return { ...findingRecord({ path: '', severity: Severity.ERROR, message: readableMessage(messageWithFix) }), path: null };
}

function handleError(e: unknown, io: CliIo, p: Palette, json: boolean): number {
  if (e instanceof CommanderError || (e as { code?: string })?.code?.startsWith?.('commander.')) {
    const error = e as CommanderError;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
      return 0;
    }
    if (json) {
      io.out(failureJson([commandFailure(problem(error.message.replace(/^error: /, ''), 'see homelab --help, or homelab <command> --help'))], []));
    }
    return 2;
  }
  if (e instanceof ValidationError || (e as Error)?.name === 'ValidationError') {
    const report = (e as ValidationError).report;
    if (json) {
      io.out(failureJson(report.errors.map(findingRecord), report.warnings.map(findingRecord)));
    }
    for (const f of report.errors) {
      io.err(findingLine(f, p));
    }
    printWarnings(report.warnings, io, p);
    io.err(`${report.errors.length} error(s); nothing was written.`);
    printDebugStack((e as Error).cause, io);
    return 1;
  }
  // Anything else (the output folder refused, a bug): one line in the house format, no stack.
  const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
  const fixed = readableMessage(
    / Fix: /.test(message) ? message : problem(message, 'if the message does not say what to change, run again with HOMELAB_DEBUG=1 and report the stack as a bug of homelab-cdk'),
  );
  if (json) {
    io.out(failureJson([commandFailure(fixed)], []));
  }
  io.err(`${p.red('error')} ${p.bold('homelab')}: ${fixed}`);
  printDebugStack(e, io);
  return 1;
}

/** With HOMELAB_DEBUG=1, the stack of the error behind a message. */
function printDebugStack(e: unknown, io: CliIo): void {
  if (process.env.HOMELAB_DEBUG === '1' && typeof (e as Error)?.stack === 'string') {
    io.err((e as Error).stack!);
  }
}
