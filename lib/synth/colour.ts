/**
 * Colour for the command line: on a terminal, errors red, warnings yellow and construct paths
 * bold; none in a pipe or a file, none with `NO_COLOR` set (https://no-color.org), always with
 * `FORCE_COLOR` (unless it is `0` or `false`, as Node.js and chalk read it).
 *
 * Plain SGR codes rather than `util.styleText`: on Node.js 22.13+ that function decides by
 * itself whether standard output is a terminal (and the CLI writes findings to standard error),
 * while Node.js 20 has no such check; the decision here is the same on every runtime.
 */

/** What decides whether a stream gets colour. */
export interface ColourContext {
  /** Is the stream a terminal? (`process.stderr.isTTY`) */
  readonly isTTY?: boolean;
  /** The environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Should text written to this stream be coloured? */
export function colourWanted(context: ColourContext): boolean {
  const { env } = context;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    return force !== '0' && force.toLowerCase() !== 'false';
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
    return false;
  }
  if (env.TERM === 'dumb') {
    return false;
  }
  return context.isTTY === true;
}

/** Styles for one stream; each returns its text unchanged when colour is off. */
export interface Palette {
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURED: Palette = { red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), bold: sgr(1, 22), dim: sgr(2, 22) };
const plain = (text: string) => text;
const PLAIN: Palette = { red: plain, yellow: plain, green: plain, cyan: plain, bold: plain, dim: plain };

/** The palette for a stream that is coloured, or not. */
export function palette(coloured: boolean): Palette {
  return coloured ? COLOURED : PLAIN;
}

/** A unified diff coloured as git colours one: headers bold, hunks cyan, removals red, additions green. */
export function colourPatch(patch: string, p: Palette): string {
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('--- ') || line.startsWith('+++ ')) return p.bold(line);
      if (line.startsWith('@@')) return p.cyan(line);
      if (line.startsWith('-')) return p.red(line);
      if (line.startsWith('+')) return p.green(line);
      return line;
    })
    .join('\n');
}
