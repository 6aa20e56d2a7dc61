import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNixIdentifier, NixExpr, nixString, toNix, toNixAttrsBody } from '../../lib/internal';
import { evalNixFileJson, parseNixText } from '../support/nix';
import { tempDir } from '../support/labs';

/** Renders values into a file, evaluates it with the real Nix and returns what Nix read. */
function roundTrip(value: unknown): unknown {
  const file = path.join(tempDir('nix-rt-'), 'value.nix');
  fs.writeFileSync(file, toNix(value as never));
  return evalNixFileJson(file);
}

/** Characters that are syntax somewhere in Nix, and text around them. */
const nixHostileString = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('"', '\\', '$', '{', '}', "'", '\n', '\r', '\t', '${', "''", '$${', "''${", '\\${', '#', ';', '/*') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 2 }).filter((s) => !s.includes('\0')) },
  ),
  maxLength: 40,
});

describe('nixString', () => {
  it('reads back, through the real Nix, exactly the strings it was given', () => {
    fc.assert(
      fc.property(fc.array(nixHostileString, { minLength: 1, maxLength: 60 }), (strings) => {
        expect(roundTrip(strings)).toEqual(strings);
      }),
      { numRuns: 25 },
    );
  });

  it('escapes the interpolation opener so ${ never interpolates', () => {
    expect(nixString('${builtins.currentTime}')).toBe('"\\${builtins.currentTime}"');
    expect(roundTrip(['${x}', '$${x}', "''${x}"])).toEqual(['${x}', '$${x}', "''${x}"]);
  });

  it('refuses NUL characters and lone surrogates, which Nix strings cannot hold', () => {
    expect(() => nixString('a\0b')).toThrow(/NUL/);
    expect(() => nixString('\ud800')).toThrow(/Unicode/);
  });
});

describe('attribute names', () => {
  it('quotes every name that is not an identifier, and Nix reads the same names back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(nixHostileString.filter((s) => s.length > 0), { minLength: 1, maxLength: 30 }), (names) => {
        const attrs = Object.fromEntries(names.map((n, i) => [n, i]));
        expect(roundTrip(attrs)).toEqual(attrs);
      }),
      { numRuns: 25 },
    );
  });

  it('keeps identifiers bare and quotes keywords', () => {
    expect(isNixIdentifier('hostName')).toBe(true);
    expect(isNixIdentifier("auto-optimise-store'")).toBe(true);
    expect(isNixIdentifier('inherit')).toBe(false);
    expect(toNix({ or: 1, 'a.b': 2, ok: 3 })).toBe('{\n  "or" = 1;\n  "a.b" = 2;\n  ok = 3;\n}');
  });
});

describe('toNix', () => {
  it('writes numbers, booleans, lists and nested sets that Nix reads back unchanged', () => {
    const value = { n: 42, neg: -7, f: 0.25, t: true, f2: false, list: [1, -2, 'x', [true], -0.5], nested: { a: { b: { c: 'deep' } }, d: 1 } };
    expect(roundTrip(value)).toEqual(value);
  });

  it('writes single-member chains as dotted paths', () => {
    expect(toNix({ services: { openssh: { enable: true } } })).toBe('{\n  services.openssh.enable = true;\n}');
  });

  it('leaves out undefined members but refuses undefined and null values elsewhere', () => {
    expect(toNix({ a: 1, b: undefined })).toBe('{\n  a = 1;\n}');
    expect(() => toNix(null as never)).toThrow(/null/);
    expect(() => toNix([undefined] as never)).toThrow(/undefined as Nix at \[0\]/);
    expect(() => toNix({ a: { b: null } } as never)).toThrow(/null as Nix at a\.b/);
    expect(() => toNix(NaN)).toThrow(/NaN/);
    expect(() => toNix(2 ** 60)).toThrow(/integers/);
  });

  it('refuses whole numbers beyond 2^63 - 1 instead of writing a literal Nix refuses as an invalid integer', () => {
    // The literal it used to write: the real Nix refuses it.
    expect(parseNixText('10000000000000000000')).toMatch(/invalid integer '10000000000000000000'/);
    for (const value of [1e19, -1e19, 2 ** 63, 9.9e20]) {
      expect(() => toNix({ nix: { settings: { max: value } } })).toThrow(/is beyond Nix's 64-bit integers \(at most 9223372036854775807 in magnitude\).* at nix\.settings\.max/);
    }
  });

  it('refuses huge floats that are whole numbers too (1e21, 1.5e300), which JavaScript cannot tell from integers', () => {
    expect(() => toNix(1e21)).toThrow(/beyond Nix's 64-bit integers/);
    expect(() => toNix([1.5e300])).toThrow(/beyond Nix's 64-bit integers.* at \[0\]/);
  });

  it('refuses class instances, so only data reaches Nix', () => {
    expect(() => toNix({ when: new Date(0) } as never)).toThrow(/Date/);
  });

  it('writes NixExpr code as code, parenthesized where a list needs it', () => {
    const text = toNix({
      modules: [NixExpr.ref('inputs.disko.nixosModules.disko'), NixExpr.path('./hardware.nix'), NixExpr.call('import', NixExpr.path('../home/max.nix'))],
      nothing: NixExpr.NULL,
    });
    expect(text).toContain('inputs.disko.nixosModules.disko');
    expect(text).toContain('(import ../home/max.nix)');
    expect(text).toContain('nothing = null;');
    expect(parseNixText(`{ inputs }: ${text}`)).toBeUndefined();
  });

  it('writes floats in the form the Nix lexer reads, refusing what it cannot', () => {
    expect(toNix([1e-7, 1.5e-300, -0.25])).toBe('[ 1.0e-7 1.5e-300 (-0.25) ]');
    expect(() => toNix(5e-324)).toThrow(/subnormal/);
    // Nix 2.8 prints floats in JSON with six significant digits, so compare at that precision.
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }).filter((d) => !Number.isInteger(d) && Math.abs(d) > 1e-300), { minLength: 1, maxLength: 40 }), (values) => {
        const back = roundTrip(values) as number[];
        back.forEach((b, i) => expect(Math.abs(b - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 1e-5));
      }),
      { numRuns: 10 },
    );
  });

  it('lays out multi-line function arguments at the depth they are written', () => {
    const text = toNix({ a: { b: NixExpr.call('f', { x: 1, y: [1, 2] }) } });
    expect(text).toBe('{\n  a.b = f {\n    x = 1;\n    y = [ 1 2 ];\n  };\n}');
  });

  it('validates the names and paths NixExpr is built from', () => {
    expect(() => NixExpr.ref('pkgs.${evil}')).toThrow(/attribute path/);
    expect(() => NixExpr.path('/etc/passwd')).toThrow(/relative/);
    expect(() => NixExpr.path('./a/../../b.nix')).toThrow(/relative/);
    expect(() => NixExpr.path('./a b.nix')).toThrow(/relative/);
    expect(NixExpr.path('../../modules/x.nix').code).toBe('../../modules/x.nix');
    expect(NixExpr.select('pkgs', 'nerd-fonts', 'fira code').code).toBe('pkgs.nerd-fonts."fira code"');
  });

  it('writes an attribute set body for templates', () => {
    expect(toNixAttrsBody({ a: 1, b: { c: [] } }, { indent: 2 })).toBe('  a = 1;\n  b.c = [ ];');
  });

  it('writes any JSON-like value (strings, integers, booleans, lists, sets) so that Nix reads it back unchanged', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        nixHostileString,
        fc.integer(),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(nixHostileString, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(fc.array(json, { maxLength: 5 }), (values) => {
        expect(roundTrip(values)).toEqual(values);
      }),
      { numRuns: 25 },
    );
  });
});
