/**
 * Loads a lab from an app file: a module whose default export (or export `lab`) is a Homelab,
 * or a function that returns one. TypeScript apps are loaded through tsx; compiled JavaScript
 * apps with plain `require`, which keeps a cold CLI run free of the TypeScript loader.
 *
 * An exception while the app builds its lab (a value the library cannot make, a mistake of the
 * app's own code) becomes a finding in the house format, on the app file's line that made it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Homelab } from '../core/homelab';
import { problem, Severity, ValidationError } from '../core/validation';
import { readableMessage } from '../core/readable';

/** Loads the lab that `appFile` exports. */
export function loadLab(appFile: string): Homelab {
  const file = path.resolve(appFile);
  if (!fs.existsSync(file)) {
    throw new Error(problem(`app file ${appFile} does not exist`, 'give the file that exports the lab with --app (or HOMELAB_APP)'));
  }
  let lab: unknown;
  try {
    const mod = /\.[cm]?tsx?$/.test(file) ? requireTypeScript(file) : require(file);
    const exported = mod?.default ?? mod?.lab ?? mod;
    lab = typeof exported === 'function' && !Homelab.isHomelab(exported) ? exported() : exported;
  } catch (e) {
    if (e instanceof ValidationError) {
      throw e;
    }
    const error = new ValidationError({ errors: [{ path: appPosition(e, file, appFile), message: readableMessage(appErrorMessage(e)), severity: Severity.ERROR }], warnings: [] });
    // For HOMELAB_DEBUG=1, which prints the original stack.
    Object.defineProperty(error, 'cause', { value: e });
    throw error;
  }
  if (!Homelab.isHomelab(lab)) {
    throw new Error(problem(`app file ${appFile} does not export a Homelab`, 'export it as default or as "lab", or export a function that returns one'));
  }
  return lab;
}

/** `apps/lab.ts:12:7`: the app file's line in the stack, or the app file itself. */
function appPosition(e: unknown, file: string, appFile: string): string {
  const stack = typeof (e as Error)?.stack === 'string' ? (e as Error).stack! : '';
  for (const m of stack.matchAll(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/gm)) {
    const frame = m[1].replace(/^file:\/\//, '');
    if (path.resolve(frame) === file) {
      return `${appFile}:${m[2]}:${m[3]}`;
    }
  }
  return appFile;
}

/** What went wrong, in the house format; the messages of the construct library made readable. */
function appErrorMessage(e: unknown): string {
  const message = typeof (e as Error)?.message === 'string' ? (e as Error).message : String(e);
  if (/ Fix: /.test(message)) {
    return message;
  }
  const clash = /^There is already a Construct with name '(.*)' in (\S+)(?: \[(.*)\])?$/s.exec(message);
  if (clash) {
    return problem(`there is already a construct named "${clash[1]}" in ${clash[3] ?? clash[2]}`, 'give one of them another id');
  }
  if (/^Only root constructs may have an empty ID/.test(message)) {
    return problem('a construct has an empty id', 'give it a name (the second argument of new X(scope, id, …))');
  }
  if (/^ipaddr: /.test(message)) {
    return problem(`an address is not valid (${message.replace(/^ipaddr: /, '')})`, 'write IPv4 addresses like 192.168.178.10 and networks like 192.168.178.0/24');
  }
  return problem(`the app stopped with an error: ${message}`, 'correct the line named here (HOMELAB_DEBUG=1 prints the stack)');
}

function requireTypeScript(file: string): Record<string, unknown> {
  // Stack positions in the app's own lines (for a finding on the line that threw), not tsx's output.
  process.setSourceMapsEnabled(true);
  registerTypeScript();
  return require(file) as Record<string, unknown>;
}

/**
 * Lets `require` load TypeScript, once per process and only for TypeScript apps. tsx's loader
 * is registered globally, without a namespace: a namespaced `tsx.require` keeps a module cache
 * (and a transform cache key) of its own, so every run transpiled the app and the library again
 * and evaluated the library a second time beside the copy the CLI had loaded.
 */
function registerTypeScript(): void {
  // Under `npm run synth` (node --require tsx/cjs) or tsx, `.ts` loads already: a second loader
  // would only run every module through two sets of hooks.
  if (typeScriptRegistered || require.extensions['.ts'] !== undefined) {
    return;
  }
  (require('tsx/cjs/api') as { register: () => () => void }).register();
  typeScriptRegistered = true;
}

let typeScriptRegistered = false;
