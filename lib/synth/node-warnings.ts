/**
 * Node's warnings that say nothing to a user of homelab: cdktf 0.21 calls `util.isArray`, which
 * Node 22 and later deprecate (DEP0044), so every `homelab synth` there would print a
 * DeprecationWarning about a library's internals on standard error. Only that warning, and only
 * when cdktf's code emits it, is dropped; every other warning is printed as Node prints it.
 */

/** Drops DEP0044 when cdktf's code triggers it; the CLI calls this before it loads cdktf. */
export function quietCdktfDeprecation(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...args: unknown[]) => {
    const options = args[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : args[1];
    if (code === 'DEP0044' && /[/\\]cdktf[/\\]/.test(new Error().stack ?? '')) {
      return;
    }
    emitWarning(warning, ...args);
  }) as typeof process.emitWarning;
}
