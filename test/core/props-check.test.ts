/**
 * Misspelled and unknown props are findings with the construct's path and the closest known
 * prop: apps run through tsx, which strips types without checking them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HardwareProfile, Homelab, Host, HostProps, ProxmoxVm, Size } from '../../lib';
import { unknownProps } from '../../lib/core/props-check';
import { generatePropShapes, PROP_SHAPES_FILE } from '../../tools/generate-prop-shapes';
import { errorsOf, proxmoxLab } from '../support/compute';
import { smallLab, tempDir } from '../support/labs';

const REPO = path.resolve(__dirname, '../..');

describe('unknown props', () => {
  it('names the construct, the misspelled prop and the one meant', () => {
    const { lab } = smallLab();
    new Host(lab, 'web', { hardware: HardwareProfile.qemuGuest(), ipAdress: '10.0.0.10' } as unknown as HostProps);
    expect(errorsOf(lab)).toContainEqual('testlab/web: HostProps has no prop "ipAdress" (did you mean "ipAddress"?). Fix: write ipAddress.');
  });

  it('checks nested plain objects too: the network of the lab, the disks of a VM', () => {
    const lab = new Homelab({ domain: 'lab.example', network: { cidr: '10.0.0.0/24', gatway: '10.0.0.1' } } as never);
    // Reported once, by the Network the props become.
    expect(errorsOf(lab)).toEqual(['homelab/network: NetworkProps has no prop "gatway" (did you mean "gateway"?). Fix: write gateway.']);
    const t = proxmoxLab();
    new ProxmoxVm(t.lab, 'vm', { hypervisor: t.proxmox, vmid: 110, disks: [{ storage: t.tank, size: Size.gibibytes(8), sise: 1 }] } as never);
    expect(errorsOf(t.lab)).toContainEqual('testlab/vm: VmDiskProps has no prop "disks[0].sise" (did you mean "size"?). Fix: write size.');
  });

  it('lists the props when nothing is close, and takes a case slip for the prop meant', () => {
    expect(unknownProps('BridgeProps', { colour: 'blue' })).toEqual(['BridgeProps has no prop "colour". Fix: remove it, or use one of BridgeProps\'s props: carriesHostAddress, name, ports.']);
    expect(unknownProps('BridgeProps', { Name: 'vmbr1' })).toEqual(['BridgeProps has no prop "Name" (did you mean "name"?). Fix: write name.']);
    // An unset optional spread from options is no mistake.
    expect(unknownProps('BridgeProps', { extra: undefined })).toEqual([]);
  });

  it('reports a typo in a user\'s TypeScript lab through the CLI, where tsx does not type-check', () => {
    const dir = tempDir('typo-');
    const app = path.join(dir, 'lab.ts');
    fs.writeFileSync(
      app,
      [
        `import { HardwareProfile, Homelab, Host } from ${JSON.stringify(path.join(REPO, 'lib'))};`,
        "const lab = new Homelab({ domain: 'lab.example', network: { cidr: '10.0.0.0/24' } });",
        "new Host(lab, 'web', { hardware: HardwareProfile.qemuGuest(), ipAddress: '10.0.0.10', macAdress: '02:00:00:00:00:10' } as any);",
        'export default lab;',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [path.join(REPO, 'node_modules/tsx/dist/cli.mjs'), path.join(REPO, 'bin/homelab.ts'), 'validate', '--app', app], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error homelab\/web: HostProps has no prop "macAdress" \(did you mean "macAddress"\?\)\. Fix: write macAddress\./);
  });

  it('comes from shapes generated from the sources, and the committed file is current', () => {
    expect(fs.readFileSync(PROP_SHAPES_FILE, 'utf8')).toBe(generatePropShapes());
  }, 60_000);
});
