import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderTemplate, shellQuote } from '../../lib/internal';
import Handlebars from 'handlebars/runtime';
import { assertNoRawInterpolation, PrecompiledTemplate, templateDigest, templatesDirectory, templateSpecification } from '../../lib/nix/templates';
import { PRECOMPILED_TEMPLATES } from '../../lib/nix/templates.generated';
import { generatePrecompiledTemplates, PRECOMPILED_TEMPLATES_FILE, templateNames } from '../../tools/precompile-templates';
import * as fs from 'node:fs';
import * as path from 'node:path';

describe('the template guard', () => {
  it('refuses a plain {{value}}, which would paste a raw string', () => {
    expect(() => assertNoRawInterpolation('t', 'a = {{name}};')).toThrow(/line 1: \{\{name\}\} must be a value helper/);
  });

  it('refuses triple-stash and helpers without their argument', () => {
    expect(() => assertNoRawInterpolation('t', '{{{name}}}')).toThrow(/raw values/);
    expect(() => assertNoRawInterpolation('t', '{{nix}}')).toThrow(/raw values/);
  });

  it('finds raw values inside blocks', () => {
    expect(() => assertNoRawInterpolation('t', '{{#each xs}}\n{{this}}\n{{/each}}')).toThrow(/line 2/);
    expect(() => assertNoRawInterpolation('t', '{{#if x}}{{nix x}}{{else}}{{y}}{{/if}}')).toThrow(/\{\{y\}\}/);
  });

  it('accepts value helpers and blocks', () => {
    expect(() => assertNoRawInterpolation('t', '{{comment h}}\n{{#each xs}}{{nix this indent=2}}{{/each}} {{sh s}} {{shWords ws}}')).not.toThrow();
  });

  it('passes every template of the package', () => {
    const dir = templatesDirectory();
    const walk = (d: string): string[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const templates = walk(dir).filter((f) => f.endsWith('.hbs'));
    expect(templates.length).toBeGreaterThan(2);
    for (const file of templates) {
      expect(() => assertNoRawInterpolation(file, fs.readFileSync(file, 'utf8'))).not.toThrow();
    }
  });

  it('fails rendering when the view lacks a value instead of printing "undefined"', () => {
    expect(() => renderTemplate('module.nix.hbs', { header: 'h' })).toThrow(/nixBody got undefined/);
    expect(() => renderTemplate('module.nix.hbs', { header: 'h', settings: undefined })).toThrow();
  });
});

describe('precompiled templates', () => {
  it('are current: lib/nix/templates.generated.ts is what tools/precompile-templates.ts makes of templates/', () => {
    expect(fs.readFileSync(PRECOMPILED_TEMPLATES_FILE, 'utf8')).toBe(generatePrecompiledTemplates());
    expect(Object.keys(PRECOMPILED_TEMPLATES)).toEqual(templateNames());
  });

  it('are used while the source matches their digest', () => {
    const name = 'module.nix.hbs';
    const source = fs.readFileSync(path.join(templatesDirectory(), name), 'utf8');
    const precompiled = (PRECOMPILED_TEMPLATES as Record<string, PrecompiledTemplate>)[name];
    expect(precompiled.sha256).toBe(templateDigest(source));
    expect(templateSpecification(name, source, precompiled)).toBe(precompiled.spec);
  });

  it('give way to the source of a template edited since', () => {
    const stale = { sha256: templateDigest('old = {{nix old}};'), spec: templateSpecification('t', 'old = {{nix old}};', undefined) };
    const spec = templateSpecification('t', 'new = {{sh word}};', stale);
    expect(spec).not.toBe(stale.spec);
    const env = Handlebars.create();
    env.registerHelper('sh', (w: string) => `<${w}>`);
    expect(env.template(spec)({ word: 'x' })).toBe('new = <x>;');
  });

  it('refuse raw interpolation in an edited template, as in a precompiled one', () => {
    expect(() => templateSpecification('t', 'a = {{name}};', undefined)).toThrow(/template t interpolates raw values/);
  });
});

describe('shellQuote', () => {
  it('gives bash a word that means exactly the original string', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 30 }), (words) => {
        const script = `printf '%s\\0' ${words.map(shellQuote).join(' ')}`;
        const out = execFileSync('bash', ['-c', script], { encoding: 'utf8' });
        expect(out.split('\0').slice(0, -1)).toEqual(words);
      }),
      { numRuns: 30 },
    );
  });

  it('leaves plain words bare', () => {
    expect(shellQuote('k3s-node1')).toBe('k3s-node1');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
