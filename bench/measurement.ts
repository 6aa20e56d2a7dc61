/**
 * What the benchmark's measuring processes (synth-once, in-process) share: reading an option,
 * and handing their result to the benchmark as one line of JSON on standard output.
 */
import * as fs from 'node:fs';

/** The value after `name` in `argv` (`--out dir` → `dir`), if given. */
export function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Runs `measure` with the process's arguments and prints its result as one line of JSON. */
export function reportMeasurement(measure: (argv: readonly string[]) => object): void {
  fs.writeSync(1, JSON.stringify(measure(process.argv.slice(2))) + '\n');
}
