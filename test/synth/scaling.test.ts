/**
 * Synthesis grows linearly with the lab: no construct's check or renderer walks the whole tree
 * for itself. Timing is the benchmark's business (bench/); these tests count tree walks instead,
 * which does not depend on the machine.
 */
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildGeneratedLab } from '../../bench/generated-lab';
import { Dnsmasq, perValidationRun, ProxmoxVm, renderLab, User, validateLab, withSharedIndexes } from '../../lib/internal';
import { smallLab } from '../support/labs';
import { countVisits } from '../support/tree-visits';

/** Tree visits per construct while building and while synthesizing a generated lab. */
function visitsPerConstruct(vms: number): { build: number; synth: number } {
  let lab: ReturnType<typeof buildGeneratedLab>['lab'] | undefined;
  const build = countVisits(() => {
    lab = buildGeneratedLab(vms).lab;
  });
  const constructs = lab!.node.findAll().length;
  const synth = countVisits(() => {
    renderLab(lab!);
  });
  // The generator counts the tree once itself, for its report.
  return { build: (build - constructs) / constructs, synth: synth / constructs };
}

describe('the benchmark lab', () => {
  it('is valid and warning-free at every size the benchmark uses (here 10 and 100 VMs)', () => {
    for (const vms of [10, 100]) {
      const { lab, counts } = buildGeneratedLab(vms);
      const report = validateLab(lab);
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(ProxmoxVm.all(lab)).toHaveLength(vms);
      expect(counts.vms).toBe(vms);
    }
  });

  it('gives every VM with an address and every device a DHCP lease', () => {
    const { lab, counts } = buildGeneratedLab(20);
    const [dnsmasq] = Dnsmasq.all(lab);
    const leased = new Set(dnsmasq.leases.map((l) => l.hostName));
    for (const vm of ProxmoxVm.all(lab)) {
      expect(leased.has(vm.endpointName), vm.node.path).toBe(true);
    }
    expect(dnsmasq.leases).toHaveLength(counts.nixosHosts + counts.plainVms + counts.deviceLeases);
  });

  it('refuses a VM count that is not a multiple of ten', () => {
    expect(() => buildGeneratedLab(15)).toThrow(/multiple of 10/);
  });
});

describe('synthesis of a larger lab', () => {
  it('visits each construct about as often in a lab ten times the size (no walk of the whole tree per construct)', () => {
    const small = visitsPerConstruct(10);
    const large = visitsPerConstruct(100);
    // A check or renderer that walks the tree once per host, VM or node makes the visits per
    // construct grow with the lab (before the shared indexes: 100 → 216 per construct at 100 VMs).
    expect(large.synth).toBeLessThan(small.synth * 1.25);
    expect(large.build).toBeLessThan(small.build * 1.25 + 1);
  });
});

describe('withSharedIndexes', () => {
  it('computes a value once inside, nested calls included, and afresh on every call outside', () => {
    const { lab } = smallLab();
    let computed = 0;
    const key = {};
    const index = () => perValidationRun(lab, key, () => ++computed);
    withSharedIndexes(lab, () => {
      expect(index()).toBe(1);
      withSharedIndexes(lab, () => expect(index()).toBe(1));
      expect(index()).toBe(1);
    });
    expect(index()).toBe(2);
    expect(index()).toBe(3);
  });

  it('starts afresh in the next call, so a lab changed in between is indexed anew', () => {
    const { lab } = smallLab();
    const userNames = () => withSharedIndexes(lab, () => User.all(lab).map((u) => u.userName));
    expect(userNames()).toEqual(['admin']);
    new User(lab, 'max', {});
    expect(userNames()).toEqual(['admin', 'max']);
  });
});

describe('User.all', () => {
  it('lists the users declared at the lab root, in declaration order', () => {
    const { lab } = smallLab();
    new User(lab, 'max', {});
    new Construct(lab, 'not-a-user');
    new User(lab, 'alice', {});
    expect(User.all(lab).map((u) => u.userName)).toEqual(['admin', 'max', 'alice']);
  });
});
