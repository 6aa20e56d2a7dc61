/**
 * The `homelab` command line: `homelab synth` validates the lab, renders every projection and
 * writes `dist/`; `homelab validate` only validates.
 */
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { describeRecovery, recoverOutput } from '../core/output-writer';
import { readableMessage } from '../core/readable';
import { formatFinding, problem, ValidationError, ValidationReport } from '../core/validation';
import { loadLab } from './app-loader';
import { configuredApp, initProject } from './init';
import { formatRunbook, labRunbook } from './runbook';
import { labDiagram } from './diagram';
import { diffLab } from './diff';
import { PROJECTIONS } from './projections';
import { formatSummary, outputSummary, summarizeLab } from './summary';
import { synthesize } from './synthesize';
import { validateLab } from '../core/validation';

/** Where the CLI writes. */
export interface CliIo {
  /** Writes one line of results (the summary, a diff, a diagram) to standard output. */
  readonly out: (text: string) => void;
  /** Writes one line of errors, warnings and usage help to standard error. */
  readonly err: (text: string) => void;
}

/** The default app file, relative to the working directory. */
export const DEFAULT_APP = 'apps/main.ts';

const processIo: CliIo = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
};

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 validation or synthesis errors, 2 usage errors.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  // With --json, validation errors are printed as JSON on standard output too.
  let jsonErrors = false;
  const program = new Command('homelab')
    .description('Synthesize a homelab described with homelab-cdk: NixOS flake, Terraform JSON, Kubernetes manifests.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  // The app: --app, else $HOMELAB_APP, else the "homelab": { "app" } key of ./package.json
  // (homelab init writes it), else the reference lab of this repository.
  const appOption = () =>
    new Option('-a, --app <file>', 'the app file that exports the lab (default: $HOMELAB_APP, package.json\'s homelab.app, or apps/main.ts)').default(
      process.env.HOMELAB_APP ?? configuredApp(process.cwd()) ?? DEFAULT_APP,
    );
  const strictOption = () => new Option('--strict', 'treat warnings as errors').default(false);
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
    .action((opts: { app: string; out: string; strict: boolean; only?: string[]; quiet: boolean; json: boolean; adopt: boolean }) => {
      jsonErrors = opts.json;
      recover(opts.out);
      const lab = loadLab(opts.app);
      const started = process.hrtime.bigint();
      const result = synthesize(lab, { outdir: opts.out, strict: opts.strict, only: opts.only, adopt: opts.adopt });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rel = path.relative(process.cwd(), result.outdir) || '.';
      const summary = summarizeLab(lab, result.report, outputSummary(rel, result.plan, ms));
      if (opts.json) {
        io.out(JSON.stringify(summary, null, 2));
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
    .addOption(adoptOption())
    .action((opts: { app: string; out: string; strict: boolean; only?: string[]; stat: boolean; adopt: boolean }) => {
      recover(opts.out);
      const lab = loadLab(opts.app);
      const { result, changes } = diffLab(lab, { outdir: opts.out, strict: opts.strict, only: opts.only, adopt: opts.adopt });
      printWarnings(result.report, io);
      for (const change of changes) {
        io.out(opts.stat ? `${change.kind.padEnd(8)} ${change.path}` : change.patch.trimEnd());
      }
      const count = (kind: string) => changes.filter((c) => c.kind === kind).length;
      io.out(
        changes.length === 0
          ? `${lab.name}: no changes`
          : `${lab.name}: ${count('added')} added, ${count('changed')} changed, ${count('removed')} removed (nothing written)`,
      );
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
    .action((dir: string, opts: { package?: string }) => {
      const result = initProject(dir, { packageSpec: opts.package });
      const rel = path.relative(process.cwd(), result.dir);
      const shown = rel === '' ? '.' : rel.startsWith('..') ? result.dir : rel;
      io.out(`homelab: wrote ${result.files.join(', ')} in ${shown}`);
      io.out(`next: ${shown === '.' ? '' : `cd ${shown} && `}npm install && npm run check && npm run synth`);
    });

  program
    .command('diagram')
    .description('print a Mermaid flowchart of the lab (hosts, VMs, pools, DNS, Wake-on-LAN, cluster)')
    .addOption(appOption())
    .action((opts: { app: string }) => {
      io.out(labDiagram(loadLab(opts.app)));
    });

  program
    .command('validate')
    .description('validate the lab and print every finding; write nothing')
    .addOption(appOption())
    .addOption(strictOption())
    .option('-o, --out <dir>', 'the output folder, where an interrupted write is finished first', 'dist')
    .action((opts: { app: string; strict: boolean; out: string }) => {
      recover(opts.out);
      const lab = loadLab(opts.app);
      const report = validateLab(lab, { strict: opts.strict });
      if (report.errors.length > 0) {
        throw new ValidationError(report);
      }
      printWarnings(report, io);
      io.out(`${lab.name}: valid (${report.warnings.length} warning(s))`);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    exitCode = handleError(e, io, jsonErrors);
  }
  return exitCode;
}

function printWarnings(report: ValidationReport, io: CliIo): void {
  for (const w of report.warnings) {
    io.err(`warning ${formatFinding(w)}`);
  }
}

function handleError(e: unknown, io: CliIo, json: boolean): number {
  if (e instanceof CommanderError || (e as { code?: string })?.code?.startsWith?.('commander.')) {
    const err = e as CommanderError;
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof ValidationError || (e as Error)?.name === 'ValidationError') {
    const report = (e as ValidationError).report;
    if (json) {
      io.out(JSON.stringify({ errors: report.errors, warnings: report.warnings }, null, 2));
    }
    for (const f of report.errors) {
      io.err(`error ${formatFinding(f)}`);
    }
    printWarnings(report, io);
    io.err(`${report.errors.length} error(s); nothing was written.`);
    printDebugStack((e as Error).cause, io);
    return 1;
  }
  // Anything else (the output folder refused, a bug): one line in the house format, no stack.
  const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
  const fixed = / Fix: /.test(message) ? message : problem(message, 'if the message does not say what to change, run again with HOMELAB_DEBUG=1 and report the stack as a bug of homelab-cdk');
  io.err(`error homelab: ${readableMessage(fixed)}`);
  printDebugStack(e, io);
  return 1;
}

/** With HOMELAB_DEBUG=1, the stack of the error behind a message. */
function printDebugStack(e: unknown, io: CliIo): void {
  if (process.env.HOMELAB_DEBUG === '1' && typeof (e as Error)?.stack === 'string') {
    io.err((e as Error).stack!);
  }
}
