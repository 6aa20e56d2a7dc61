/**
 * The synthesis benchmark (`npm run bench`, which compiles the project first). Not a test: it
 * measures and prints, it asserts nothing about time. It measures
 *
 * 1. `homelab synth` of the reference lab in-process, after warm-up (median of many runs);
 * 2. a cold `homelab synth` as a new process on the compiled JavaScript (median of several);
 * 3. `cdktf synth` and `cdk8s synth` on the same lab in the same run, for comparison (their CLIs
 *    as cdktf.json and cdk8s.yaml configure them, and once more with the compiled apps), and
 *    checks that they write the same Terraform JSON and manifests as `homelab synth`;
 * 4. generated labs of 10, 100 and 1000 VMs (bench/generated-lab.ts), each synthesized in a fresh
 *    process that reports its phases and its peak memory.
 *
 * Then it prints the machine, the numbers and the targets as markdown (for README.md's
 * Performance section) and writes them as JSON to build/bench-results.json.
 *
 *   npm run bench                      # everything
 *   npm run bench -- --quick           # fewer runs (a smoke run of the benchmark itself)
 *   npm run bench -- --sizes 10,100,1000,2000,4000
 *   npm run bench -- --scratch /dev/shm   # write the outputs there (default: the OS's temp folder)
 */
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InProcessResult } from './in-process';
import { Sample, summarize } from './stats';
import type { SynthOnceResult } from './synth-once';

/** The project's root: build/bench/ is two levels below it. */
const ROOT = path.resolve(__dirname, '..', '..');
const BUILD = path.join(ROOT, 'build');
const BIN = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
/** Keep the other CLIs from checking for updates and from drawing progress spinners while measured. */
const QUIET_ENV = { ...process.env, CHECKPOINT_DISABLE: '1', CDK8S_CHECK_UPGRADE: 'false', CI: '1' };

/** The targets. */
const TARGETS = {
  inProcessMs: 100,
  coldSpeedup: 8,
  largeLabVms: 1000,
  largeLabMs: 3000,
  largeLabMiB: 1024,
};

interface Options {
  readonly quick: boolean;
  readonly sizes: readonly number[];
  /** The folder the outputs are written below. */
  readonly scratch: string;
}

interface CommandTiming {
  readonly label: string;
  readonly command: string;
  readonly wall: Sample;
}

interface GeneratedLabResult {
  readonly vms: number;
  readonly runs: readonly SynthOnceResult[];
  /** Wall time of the process, measured from outside. */
  readonly wall: Sample;
  readonly synth: Sample;
  readonly total: Sample;
  readonly maxRssMiB: number;
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const scratch = fs.mkdtempSync(path.join(options.scratch, 'homelab-bench-'));
  const runs = options.quick ? { inProcess: 10, warmup: 5, cold: 3, other: 1, generated: 1 } : { inProcess: 50, warmup: 20, cold: 10, other: 3, generated: 3 };
  const machine = describeMachine();
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM, Node ${machine.node}, load ${machine.loadAverage}`);
  try {
    log(`in-process: ${runs.warmup} warm-up runs, then ${runs.inProcess}`);
    const inProcess = runJson<InProcessResult>(process.execPath, [
      path.join(BUILD, 'bench', 'in-process.js'),
      '--out',
      path.join(scratch, 'in-process'),
      '--runs',
      String(runs.inProcess),
      '--warmup',
      String(runs.warmup),
    ]);

    log(`cold CLI: ${runs.cold} runs of each homelab synth, ${runs.other} of cdktf synth and cdk8s synth`);
    const homelabOut = path.join(scratch, 'homelab-cold');
    const cold = timeCommand(
      'homelab synth, cold process (compiled JS)',
      process.execPath,
      [path.join(BUILD, 'bin', 'homelab.js'), 'synth', '--app', path.join(BUILD, 'apps', 'main.js'), '--out', homelabOut, '--quiet'],
      runs.cold,
      // Into an empty folder each time, as the other CLIs write every file.
      () => fs.rmSync(homelabOut, { recursive: true, force: true }),
    );
    const coldTsx = timeCommand(
      'homelab synth through tsx (`npm run synth`, TypeScript sources)',
      BIN('tsx'),
      ['bin/homelab.ts', 'synth', '--out', path.join(scratch, 'homelab-tsx'), '--quiet'],
      runs.other,
    );
    const cdktfOut = path.join(scratch, 'cdktf.out');
    const cdk8sOut = path.join(scratch, 'cdk8s.out');
    const cdktf = timeCommand('cdktf synth (cdktf.json: `npx tsx apps/cdktf.ts`)', BIN('cdktf'), ['synth', '--output', cdktfOut], runs.other);
    const cdk8s = timeCommand('cdk8s synth (cdk8s.yaml: `npx tsx apps/cdk8s.ts`)', BIN('cdk8s'), ['synth', '--output', cdk8sOut], runs.other);
    const cdktfCompiled = timeCommand(
      'cdktf synth with the compiled app (`--app "node build/apps/cdktf.js"`)',
      BIN('cdktf'),
      ['synth', '--app', `node ${path.join(BUILD, 'apps', 'cdktf.js')}`, '--output', path.join(scratch, 'cdktf-compiled.out')],
      runs.other,
    );
    const cdk8sCompiled = timeCommand(
      'cdk8s synth with the compiled app (`--app "node build/apps/cdk8s.js"`)',
      BIN('cdk8s'),
      ['synth', '--app', `node ${path.join(BUILD, 'apps', 'cdk8s.js')}`, '--output', path.join(scratch, 'cdk8s-compiled.out')],
      runs.other,
    );
    const sameOutput = compareWithOtherClis(homelabOut, cdktfOut, cdk8sOut);

    const generated: GeneratedLabResult[] = [];
    for (const vms of options.sizes) {
      log(`generated lab of ${vms} VMs: ${runs.generated} fresh process(es)`);
      generated.push(runGeneratedLab(vms, runs.generated, scratch));
    }

    const results = { machine, scratch: options.scratch, date: new Date().toISOString(), runs, inProcess, cold, coldTsx, cdktf, cdk8s, cdktfCompiled, cdk8sCompiled, sameOutput, generated };
    fs.mkdirSync(BUILD, { recursive: true });
    fs.writeFileSync(path.join(BUILD, 'bench-results.json'), JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(report(results) + '\n');
    log(`results also in ${path.relative(process.cwd(), path.join(BUILD, 'bench-results.json'))}`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs a generated lab `runs` times, each in a new process with an empty output folder. */
function runGeneratedLab(vms: number, runs: number, scratch: string): GeneratedLabResult {
  const results: SynthOnceResult[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = path.join(scratch, `generated-${vms}-${i}`);
    const started = process.hrtime.bigint();
    const result = runJson<SynthOnceResult>(process.execPath, [path.join(BUILD, 'bench', 'synth-once.js'), '--lab', String(vms), '--out', out]);
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.warnings !== 0) {
      throw new Error(`the generated lab of ${vms} VMs has ${result.warnings} warning(s): it should be a clean lab`);
    }
    results.push(result);
    fs.rmSync(out, { recursive: true, force: true });
  }
  return {
    vms,
    runs: results,
    wall: summarize(walls),
    synth: summarize(results.map((r) => r.synthMs)),
    total: summarize(results.map((r) => r.totalMs)),
    maxRssMiB: Math.max(...results.map((r) => r.maxRssMiB)),
  };
}

/**
 * Do the other CLIs write what `homelab synth` writes? Every Terraform stack and every manifest,
 * byte for byte (so the comparison is of the same work).
 */
function compareWithOtherClis(homelabOut: string, cdktfOut: string, cdk8sOut: string): { terraform: boolean; k8s: boolean; differences: string[] } {
  const differences: string[] = [];
  const stacks = fs.readdirSync(path.join(homelabOut, 'terraform')).sort();
  for (const stack of stacks) {
    const ours = path.join(homelabOut, 'terraform', stack, 'cdk.tf.json');
    const theirs = path.join(cdktfOut, 'stacks', stack, 'cdk.tf.json');
    if (!fs.existsSync(theirs) || fs.readFileSync(ours, 'utf8') !== fs.readFileSync(theirs, 'utf8')) {
      differences.push(`terraform/${stack}/cdk.tf.json`);
    }
  }
  const terraform = differences.length === 0 && stacks.length > 0;
  const manifests = fs.readdirSync(path.join(homelabOut, 'k8s')).sort();
  const theirManifests = fs.readdirSync(cdk8sOut).sort();
  let k8s = manifests.length > 0 && JSON.stringify(manifests) === JSON.stringify(theirManifests);
  for (const file of manifests) {
    const theirs = path.join(cdk8sOut, file);
    if (!fs.existsSync(theirs) || fs.readFileSync(path.join(homelabOut, 'k8s', file), 'utf8') !== fs.readFileSync(theirs, 'utf8')) {
      differences.push(`k8s/${file}`);
      k8s = false;
    }
  }
  return { terraform, k8s, differences };
}

/**
 * Runs a command `runs` times (after one untimed run that warms the disk cache), each time after
 * `prepare` (untimed).
 */
function timeCommand(label: string, command: string, args: readonly string[], runs: number, prepare: () => void = () => undefined): CommandTiming {
  prepare();
  run(command, args);
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    prepare();
    const started = process.hrtime.bigint();
    run(command, args);
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { label, command: [path.relative(ROOT, command) || command, ...args.map((a) => shortPath(a))].join(' '), wall: summarize(walls) };
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { cwd: ROOT, env: QUIET_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) {
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  }
  return String(result.stdout);
}

function runJson<T>(command: string, args: readonly string[]): T {
  const lines = run(command, args).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly ramGiB: number;
  readonly node: string;
  readonly os: string;
  /** The 1-minute load average when the benchmark started: other work on the machine skews the numbers. */
  readonly loadAverage: string;
}

function describeMachine(): Machine {
  let cpu = os.cpus()[0]?.model?.trim() || 'unknown';
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    cpu = model?.[1].trim() || cpu;
  } catch {
    // not Linux: keep Node's name for the CPU
  }
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

type Results = {
  machine: Machine;
  scratch: string;
  date: string;
  runs: Record<string, number>;
  inProcess: InProcessResult;
  cold: CommandTiming;
  coldTsx: CommandTiming;
  cdktf: CommandTiming;
  cdk8s: CommandTiming;
  cdktfCompiled: CommandTiming;
  cdk8sCompiled: CommandTiming;
  sameOutput: { terraform: boolean; k8s: boolean; differences: string[] };
  generated: GeneratedLabResult[];
};

/** The results as markdown: machine, timings, generated labs, targets. */
function report(r: Results): string {
  const m = r.machine;
  const others = r.cdktf.wall.median + r.cdk8s.wall.median;
  const othersCompiled = r.cdktfCompiled.wall.median + r.cdk8sCompiled.wall.median;
  const speedup = others / r.cold.wall.median;
  const lines: string[] = [];
  lines.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.os}, Node ${m.node} (load average ${m.loadAverage} at the start); outputs written below ${r.scratch}.`);
  lines.push('');
  lines.push('| reference lab | median | fastest | runs |');
  lines.push('|---|---:|---:|---:|');
  const row = (label: string, s: Sample) => lines.push(`| ${label} | ${ms(s.median)} | ${ms(s.min)} | ${s.count} |`);
  row(`\`homelab synth\` in-process, warm: validation + 3 projections in memory (${r.inProcess.files} files)`, r.inProcess.synth);
  row('… building the lab (the user\'s program)', r.inProcess.build);
  row('… writing, files unchanged', r.inProcess.writeUnchanged);
  row('… writing, new folder', r.inProcess.writeNew);
  row('`homelab synth`, cold process (compiled JS)', r.cold.wall);
  row('`homelab synth` through tsx (`npm run synth`)', r.coldTsx.wall);
  row('`cdktf synth` (as cdktf.json runs it, through tsx)', r.cdktf.wall);
  row('`cdk8s synth` (as cdk8s.yaml runs it, through tsx)', r.cdk8s.wall);
  lines.push(`| \`cdktf synth\` + \`cdk8s synth\` | ${ms(others)} | | |`);
  row('`cdktf synth`, compiled app', r.cdktfCompiled.wall);
  row('`cdk8s synth`, compiled app', r.cdk8sCompiled.wall);
  lines.push(`| \`cdktf synth\` + \`cdk8s synth\`, compiled apps | ${ms(othersCompiled)} | | |`);
  lines.push('');
  lines.push(
    `Same output: cdktf's Terraform JSON ${r.sameOutput.terraform ? 'is' : 'is NOT'} byte-identical to dist/terraform, ` +
      `cdk8s's manifests ${r.sameOutput.k8s ? 'are' : 'are NOT'} byte-identical to dist/k8s` +
      (r.sameOutput.differences.length ? ` (differ: ${r.sameOutput.differences.join(', ')})` : '') +
      '.',
  );
  lines.push('');
  lines.push('| generated lab | NixOS hosts | Proxmox hosts | constructs | files | output | start-up + load | build | synth | write | process total | CPU time | peak RSS |');
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const g of r.generated) {
    const first = g.runs[0];
    const med = (pick: (x: SynthOnceResult) => number) => summarize(g.runs.map(pick)).median;
    lines.push(
      `| ${g.vms} VMs | ${first.counts?.nixosHosts} | ${first.counts?.proxmoxHosts} | ${first.constructs} | ${first.files} | ${(first.bytes / 2 ** 20).toFixed(1)} MiB | ` +
        `${ms(med((x) => x.startupMs + x.loadMs))} | ${ms(med((x) => x.buildMs))} | ${ms(g.synth.median)} | ${ms(med((x) => x.writeMs))} | ` +
        `${ms(g.wall.median)} | ${ms(med((x) => x.cpuMs))} | ${g.maxRssMiB.toFixed(0)} MiB |`,
    );
  }
  const growth = r.generated
    .slice(1)
    .map((g, i) => {
      const prev = r.generated[i];
      return `${prev.vms} → ${g.vms} VMs (×${g.vms / prev.vms}): synthesis ×${(g.synth.median / prev.synth.median).toFixed(1)}, process ×${(g.wall.median / prev.wall.median).toFixed(1)}, peak memory ×${(g.maxRssMiB / prev.maxRssMiB).toFixed(1)}`;
    });
  if (growth.length) {
    lines.push('');
    lines.push(`Growth: ${growth.join('; ')}.`);
  }
  lines.push('');
  lines.push('| target | result | |');
  lines.push('|---|---|---|');
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const inProc = r.inProcess.synth.median;
  lines.push(`| reference lab in-process ≤ ${TARGETS.inProcessMs} ms | ${ms(inProc)} | ${verdict(inProc <= TARGETS.inProcessMs)} |`);
  lines.push(`| cold \`homelab synth\` ≥ ${TARGETS.coldSpeedup}× faster than \`cdktf synth\` + \`cdk8s synth\` | ${ms(r.cold.wall.median)} vs ${ms(others)}: ${speedup.toFixed(1)}× | ${verdict(speedup >= TARGETS.coldSpeedup)} |`);
  const large = r.generated.find((g) => g.vms === TARGETS.largeLabVms);
  if (large) {
    lines.push(`| ${TARGETS.largeLabVms}-VM lab ≤ ${TARGETS.largeLabMs / 1000} s (whole process) | ${ms(large.wall.median)} | ${verdict(large.wall.median <= TARGETS.largeLabMs)} |`);
    lines.push(`| ${TARGETS.largeLabVms}-VM lab ≤ 1 GB peak memory | ${large.maxRssMiB.toFixed(0)} MiB | ${verdict(large.maxRssMiB <= TARGETS.largeLabMiB)} |`);
  }
  return lines.join('\n');
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : value >= 10 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function shortPath(arg: string): string {
  return arg.startsWith(ROOT) ? path.relative(ROOT, arg) : arg.includes('homelab-bench-') ? '<scratch>/' + path.basename(arg) : arg;
}

function parseOptions(argv: readonly string[]): Options {
  const sizesIndex = argv.indexOf('--sizes');
  const sizes = sizesIndex >= 0 ? argv[sizesIndex + 1].split(',').map(Number) : [10, 100, 1000];
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 10 || n % 10 !== 0) {
      throw new Error(`--sizes takes multiples of 10 VMs, not ${n}`);
    }
  }
  const scratchIndex = argv.indexOf('--scratch');
  const scratch = path.resolve(scratchIndex >= 0 ? argv[scratchIndex + 1] : os.tmpdir());
  return { quick: argv.includes('--quick'), sizes, scratch };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

main();
