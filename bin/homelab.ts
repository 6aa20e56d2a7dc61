#!/usr/bin/env node
import { runCli } from '../lib/synth/cli';
import { quietCdktfDeprecation } from '../lib/synth/node-warnings';

quietCdktfDeprecation();

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`homelab: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
