/**
 * Text that goes into a message, made safe to show: credentials in URLs and k3s token flags
 * masked, control and direction-changing characters escaped, long values cut. Every finding goes
 * through {@link readableMessage}; code that quotes a value the user gave uses {@link quoted}.
 */
import { maskUrlPasswords } from './credentials';

/** Values longer than this are cut in messages. */
export const MAX_VALUE_LENGTH = 80;
/** Messages longer than this are cut. */
const MAX_MESSAGE_LENGTH = 2000;

/**
 * `scheme://user:password@host` → `scheme://user:***@host`; `--token=x` → `--token=***`, and
 * `"--agent-token x"` (a flag quoted with its value) → `"--agent-token ***"`. The only secrets a message could otherwise carry from a prop.
 */
export function maskCredentials(text: string): string {
  return maskUrlPasswords(text)
    .replace(/(^|[\s"'[(,])(--(?:agent-)?token=)(?!\*\*\*)("[^"]*"|'[^']*'|[^\s"',)\]]+)/g, (_m, lead: string, flag: string) => `${lead}${flag}***`)
    .replace(/(["'[])(--(?:agent-)?token\s+)(?!\*\*\*)([^\s"',)\]]+)/g, (_m, lead: string, flag: string) => `${lead}${flag}***`);
}

/**
 * Control characters as escapes (`\x1b`, `\0`, `\r`, `\n`) and the invisible characters that
 * change how text reads (bidi overrides such as U+202E, zero-width marks) as `\u202e`, so a
 * message shows exactly what the value holds and cannot rewrite the terminal.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    switch (c) {
      case '\0':
        return '\\0';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  });
}

/** Cuts `text` to `max` characters (whole code points), marking the cut with `…`. */
export function cut(text: string, max: number = MAX_VALUE_LENGTH): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('') + '…';
}

/** A value the user gave, as a message shows it: masked, escaped, cut, in double quotes. */
export function quoted(value: unknown): string {
  return `"${cut(escapeControlCharacters(maskCredentials(String(value))))}"`;
}

/**
 * A whole message made readable: credentials masked, control characters escaped, every run of
 * more than 120 characters without a space or quote cut (to {@link MAX_VALUE_LENGTH}), and the message cut to a
 * length a terminal can show.
 */
export function readableMessage(message: string): string {
  const escaped = escapeControlCharacters(maskCredentials(message));
  const words = escaped.replace(/[^\s"'`]{121,}/g, (word) => cut(word));
  return cut(words, MAX_MESSAGE_LENGTH);
}

/** A construct path made readable: each segment escaped and cut like a value. */
export function readablePath(path: string): string {
  return path
    .split('/')
    .map((segment) => cut(escapeControlCharacters(segment)))
    .join('/');
}
