#!/usr/bin/env node
// First, so that everything after it is compiled through the cache (Node 22.1+).
import '../lib/synth/compile-cache';
import { runCli } from '../lib/synth/cli';
import { deferArchiver } from '../lib/synth/deferred-archiver';
import { quietCdktfDeprecation } from '../lib/synth/node-warnings';

quietCdktfDeprecation();
deferArchiver();

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`homelab: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
