/**
 * cdktf loads archiver, and about 200 modules behind it (readable-stream, lodash, glob, async, …),
 * as it loads (cdktf/lib/private/fs.js: `const archiver = require("archiver")`), for the one thing
 * it zips: a `TerraformAsset` of type ARCHIVE (`archiveSync`). `homelab synth` zips nothing, yet
 * loading archiver was ~50–90 ms of a cold run (issue 17's profile: the largest part of loading
 * cdktf). So the CLI puts a stand-in for archiver into Node's module cache, under archiver's own
 * file name, before cdktf loads: the stand-in loads the real archiver on its first use, so an app
 * that does zip an asset gets the real module's behaviour (test/synth/deferred-archiver.test.ts
 * zips one through it).
 */
import Module = require('node:module');
import * as path from 'node:path';

/**
 * Defers loading archiver until cdktf first calls it. Does nothing when archiver is loaded already
 * or cannot be found beside cdktf (another cdktf layout): then cdktf loads it as it always did.
 */
export function deferArchiver(): void {
  let file: string;
  try {
    // archiver as cdktf resolves it (its own dependency, wherever npm placed it).
    file = require.resolve('archiver', { paths: [path.dirname(require.resolve('cdktf'))] });
  } catch {
    return;
  }
  if (require.cache[file] !== undefined) {
    return;
  }
  let real: object | undefined;
  const load = (): object => {
    if (real === undefined) {
      // Out of the way first, so that the real module takes its own place in the cache and every
      // later require gets it.
      delete require.cache[file];
      real = require(file) as object;
    }
    return real;
  };
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  // archiver's export is a function with properties (`archiver('zip', …)`, `archiver.create`):
  // an arrow function as the proxy's target has no `prototype` of its own to contradict.
  standIn.exports = new Proxy(() => undefined, {
    apply: (_target, thisArg, args) => Reflect.apply(load() as (...a: unknown[]) => unknown, thisArg, args),
    get: (_target, key) => Reflect.get(load(), key),
    has: (_target, key) => Reflect.has(load(), key),
  });
  require.cache[file] = standIn;
}
