/** README.md stays true: its picture of the reference lab is the one the model draws. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReferenceLab } from '../../apps/reference-lab';
import { labDiagram } from '../../lib';
import { initProject } from '../../lib/synth/init';
import { formatRunbook, labRunbook } from '../../lib/synth/runbook';
import { tempDir } from '../support/labs';

const README = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

describe('README.md', () => {
  it('shows the diagram that `homelab diagram` draws of the reference lab', () => {
    const block = /<!-- diagram:start[^>]*-->\n```mermaid\n([\s\S]*?)\n```\n<!-- diagram:end -->/.exec(README);
    expect(block, 'the diagram block between the diagram:start and diagram:end markers').not.toBeNull();
    expect(block![1]).toBe(labDiagram(buildReferenceLab().lab));
  });

  it('shows the runbook that `homelab runbook` prints for the reference lab', () => {
    const block = /<!-- runbook:start[^>]*-->\n([\s\S]*?)\n<!-- runbook:end -->/.exec(README);
    expect(block, 'the runbook between the runbook:start and runbook:end markers').not.toBeNull();
    const { lab } = buildReferenceLab();
    const printed = formatRunbook(lab, labRunbook(lab)).trimEnd().split('\n').slice(3).join('\n');
    expect(block![1]).toBe(printed);
  });

  it('names the npm scripts it tells users to run: this repository\'s, or those of the project homelab init writes', () => {
    const own = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')).scripts as Record<string, string>;
    const scaffold = path.join(tempDir('readme-init-'), 'lab');
    initProject(scaffold);
    const scripts = { ...own, ...(JSON.parse(fs.readFileSync(path.join(scaffold, 'package.json'), 'utf8')).scripts as Record<string, string>) };
    for (const [, name] of README.matchAll(/npm run ([a-z0-9:-]+)/g)) {
      expect(scripts[name], `npm run ${name}`).toBeDefined();
    }
  });
});
