/** Network namespaces for the tests that run real programs on veths and bridges (CI runs as root). */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach } from 'vitest';

/** Runs `ip` with these arguments; throws with its message when it fails. */
export const ip = (...args: string[]): Buffer => execFileSync('ip', args, { stdio: 'pipe' });

/** A short suffix that keeps the names of parallel test files' namespaces and links apart. */
export function netnsTag(): string {
  return `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
}

/**
 * What a test file made that must go after each test (namespaces, processes, files): register
 * with the returned function; they are undone in reverse order after every test.
 */
export function cleanupAfterEach(): (cleanup: () => void) => void {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** Adds the namespace `name` (its loopback up) and registers its removal. */
export function addNamespace(name: string, defer: (cleanup: () => void) => void): string {
  ip('netns', 'add', name);
  defer(() => spawnSync('ip', ['netns', 'del', name]));
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}
