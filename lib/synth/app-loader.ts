/**
 * Loads a lab from an app file: a module whose default export (or export `lab`) is a Homelab,
 * or a function that returns one. TypeScript apps are loaded through tsx; compiled JavaScript
 * apps with plain `require`, which keeps a cold CLI run free of the TypeScript loader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Homelab } from '../core/homelab';

/** Loads the lab that `appFile` exports. */
export function loadLab(appFile: string): Homelab {
  const file = path.resolve(appFile);
  if (!fs.existsSync(file)) {
    throw new Error(`app file ${appFile} does not exist (give one with --app)`);
  }
  const mod = /\.[cm]?tsx?$/.test(file) ? requireTypeScript(file) : require(file);
  const exported = mod?.default ?? mod?.lab ?? mod;
  const lab = typeof exported === 'function' && !Homelab.isHomelab(exported) ? exported() : exported;
  if (!Homelab.isHomelab(lab)) {
    throw new Error(`app file ${appFile} must export a Homelab (as default or as "lab"), or a function that returns one`);
  }
  return lab;
}

function requireTypeScript(file: string): Record<string, unknown> {
  // Loaded on demand: only TypeScript apps pay for the loader.
  const tsx = require('tsx/cjs/api') as { require: (id: string, from: string) => Record<string, unknown> };
  return tsx.require(file, __filename);
}
