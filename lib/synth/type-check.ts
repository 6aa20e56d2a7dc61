/**
 * `homelab validate --type-check`: the TypeScript compiler on the app, which tsx (the loader of
 * `homelab synth`) does not run. With the project's own tsconfig.json (the nearest one above the
 * app; `homelab init` writes one), else strictly with node16 resolution. Each compiler error
 * becomes a finding on the file and line it names, reported with the model's findings.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Finding, problem, Severity } from '../core/validation';

/** The compiler's errors in the app (and what it imports) as findings; none when it compiles. */
export function typeCheckApp(appFile: string): Finding[] {
  const app = path.resolve(appFile);
  const tsc = compilerFor(path.dirname(app));
  if (!tsc) {
    return [
      {
        path: appFile,
        message: problem('--type-check needs the TypeScript compiler, which is not installed for this app', 'npm install --save-dev typescript in the app\'s project'),
        severity: Severity.ERROR,
      },
    ];
  }
  const config = nearestTsconfig(path.dirname(app));
  const args = config
    ? ['--noEmit', '-p', config]
    : ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'node16', '--moduleResolution', 'node16', '--esModuleInterop', '--skipLibCheck', app];
  const r = spawnSync(process.execPath, [tsc, ...args, '--pretty', 'false'], { cwd: config ? path.dirname(config) : path.dirname(app), encoding: 'utf8' });
  if (r.status === 0) {
    return [];
  }
  const findings: Finding[] = [];
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /^(.+)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m) {
      const file = path.relative(process.cwd(), path.resolve(config ? path.dirname(config) : path.dirname(app), m[1])) || m[1];
      findings.push({ path: `${file}:${m[2]}:${m[3]}`, message: problem(`${m[5]} (${m[4]})`, 'correct the line named here; the compiler, unlike tsx, checks the types'), severity: Severity.ERROR });
    } else if (/error TS\d+:/.test(line)) {
      findings.push({ path: appFile, message: problem(line.trim(), 'correct the TypeScript configuration'), severity: Severity.ERROR });
    }
  }
  return findings.length > 0 ? findings : [{ path: appFile, message: problem(`the TypeScript compiler failed: ${(r.stdout + r.stderr).trim().slice(0, 200)}`, 'run npx tsc --noEmit in the project to see why'), severity: Severity.ERROR }];
}

/** The compiler the app's project installs, else the one this package was installed with. */
function compilerFor(dir: string): string | undefined {
  for (const from of [dir, __dirname]) {
    try {
      return require.resolve('typescript/bin/tsc', { paths: [from] });
    } catch {
      // not there: try the next
    }
  }
  return undefined;
}

function nearestTsconfig(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'tsconfig.json');
    if (fs.existsSync(candidate)) {
      return candidate;
    }
    if (path.dirname(d) === d || fs.existsSync(path.join(d, 'package.json'))) {
      return undefined;
    }
  }
}
