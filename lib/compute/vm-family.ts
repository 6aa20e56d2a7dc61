import { Construct } from 'constructs';
import { ProxmoxVm, ProxmoxVmProps } from './proxmox-vm';
import { claimId } from '../core/problems';
import { checkProps } from '../core/props-check';
import { Kind } from '../core/kind';

/** What every member of a family shares: a VM's props without those that name one VM. */
export type VmFamilyProps = Omit<ProxmoxVmProps, 'vmid' | 'name' | 'guest' | 'ipAddress' | 'adopt'>;

/** What a member sets: its vmid, and whatever differs from the family. */
export type VmFamilyMemberProps = Partial<Omit<ProxmoxVmProps, 'vmid'>> & Pick<ProxmoxVmProps, 'vmid'>;

const VM_FAMILY = Kind.named<VmFamily>('VmFamily');

/**
 * A family of similar VMs: shared defaults (cores, memory, disks, NIC, boot) and one line per
 * member for what differs. The reference lab's "standard VM" (2 cores, 4 GiB, 32 GiB on `fast`)
 * is one:
 *
 * ```ts
 * const standard = new VmFamily(lab, 'standard', { hypervisor: proxmox, cores: 2, memory: Size.mebibytes(4096), disks: [...] });
 * standard.addVm('web-1', { vmid: 110, cores: 4 });
 * ```
 *
 * Members are ProxmoxVms under the family's path; a member's props replace the family's
 * (lists such as disks and tags are replaced, not merged).
 */
export class VmFamily extends Construct {
  /** Is `x` a VmFamily (of any copy of this library)? */
  public static isVmFamily(x: unknown): x is VmFamily {
    return VM_FAMILY.is(x);
  }

  /** The shared props. */
  public readonly defaults: VmFamilyProps;

  public constructor(scope: Construct, id: string, props: VmFamilyProps) {
    super(scope, claimId(scope, id));
    checkProps(this, 'VmFamilyProps', props);
    VM_FAMILY.mark(this);
    this.defaults = props;
  }

  /** Adds a member VM. */
  public addVm(id: string, props: VmFamilyMemberProps): ProxmoxVm {
    return new ProxmoxVm(this, id, { ...this.defaults, ...definedOnly(props) } as ProxmoxVmProps);
  }

  /** The members, sorted by vmid. */
  public get members(): ProxmoxVm[] {
    return this.node.children.filter(ProxmoxVm.isProxmoxVm).sort((a, b) => a.vmid - b.vmid);
  }
}

/** The props that are set (an explicit `undefined` does not replace a family default). */
function definedOnly<T extends object>(props: T): Partial<T> {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as Partial<T>;
}
