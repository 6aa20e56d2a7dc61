/**
 * The Terraform projection: the lab's VMs as cdktf stacks (one per ProxmoxStack), for
 * `cdktf synth`/`cdktf deploy` (apps/cdktf.ts) and, rendered in memory, for `homelab synth`
 * (`dist/terraform/<stack>/cdk.tf.json`, the same JSON cdktf writes to
 * `cdktf.out/stacks/<stack>/cdk.tf.json`).
 */
import { App, TerraformStack } from 'cdktf';
import { invokeAspects } from 'cdktf/lib/synthesize/synthesizer';
import { Construct } from 'constructs';
import { StackPlan } from '../compute/proxmox-stack';
import { planStacks } from '../compute/stack-plan';
import type { HaGroup } from '../compute/ha-group';
import { HaResource, ProxmoxCluster } from '../compute/proxmox-cluster';
import { ProxmoxHost } from '../compute/proxmox-host';
import type { ProxmoxVm } from '../compute/proxmox-vm';
import { ProxmoxStorage, StorageDeclaration } from '../compute/proxmox-storage';
import { VmBackupJob } from '../operations/vm-backup-job';
import { VmImage } from '../compute/vm-image';
import { Homelab } from '../core/homelab';
import { OutputFile } from '../core/output-file';
import { validateLab, ValidationError, withSharedIndexes } from '../core/validation';
import { imagesOf, ProxmoxTerraformStack, ProxmoxTerraformStackProps } from './proxmox-terraform-stack';
import { stackTerraform } from './stack-synthesis';
import { provideProjectionRenderer } from '../core/projection';

/** The file each stack is written to, relative to its folder (as cdktf names it). */
export const STACK_FILE = 'cdk.tf.json';

/**
 * Builds one ProxmoxTerraformStack per stack of the lab under `scope` (a cdktf App). The lab
 * should be valid (see {@link validateLab}); the stacks are returned for escape hatches.
 */
export function buildTerraformStacks(lab: Homelab, scope: Construct): ProxmoxTerraformStack[] {
  return stackContents(lab).map((contents) => new ProxmoxTerraformStack(scope, contents));
}

/** What each of the lab's stacks holds, in the order of the stacks. */
function stackContents(lab: Homelab): ProxmoxTerraformStackProps[] {
  const plans = planStacks(lab);
  const downloads = assignDownloads(lab, plans);
  const storages = assignToHostStacks(plans, ProxmoxHost.all(lab).flatMap((h) => h.storages.filter((s) => s.declaredBy === StorageDeclaration.TERRAFORM)), (s) => s.proxmoxHost);
  const jobs = assignToHostStacks(plans, ProxmoxHost.all(lab).flatMap((h) => VmBackupJob.of(h)), (j) => j.proxmox);
  const ha = assignHighAvailability(lab, plans);
  return plans.map((plan) => ({
    settings: plan.settings,
    vms: plan.vms,
    downloads: downloads.get(plan) ?? [],
    storages: storages.get(plan) ?? [],
    backupJobs: jobs.get(plan) ?? [],
    haGroups: ha.get(plan)?.groups ?? [],
    haResources: ha.get(plan)?.resources ?? [],
  }));
}

/**
 * Which stack declares each of a host's own objects (its Terraform-declared storages, its backup
 * jobs): the stack whose endpoint is the host, else the first (by name) whose API reaches the
 * host (a stack of its cluster), else the first that plans a VM of the host, so that the object
 * goes through an API that serves the host it belongs to. An object of a host no stack talks to
 * is in no stack.
 */
function assignToHostStacks<T>(plans: readonly StackPlan[], objects: readonly T[], hostOf: (x: T) => ProxmoxHost): Map<StackPlan, T[]> {
  const result = new Map<StackPlan, T[]>();
  for (const x of objects) {
    const host = hostOf(x);
    const plan =
      plans.find((p) => p.settings.endpoint === host) ??
      plans.find((p) => p.settings.endpoint?.apiReaches(host)) ??
      plans.find((p) => p.vms.some((vm) => vm.hypervisor === host));
    if (plan) {
      result.set(plan, [...(result.get(plan) ?? []), x]);
    }
  }
  return result;
}

/**
 * The lab's Terraform stacks as files (`<stack>/cdk.tf.json`), rendered in memory exactly as
 * `cdktf synth` writes them. Needs neither Terraform nor the provider.
 */
export function renderTerraformStacks(lab: Homelab): OutputFile[] {
  const root = new Construct(undefined as unknown as Construct, '');
  root.node.setContext('cdktfVersion', cdktfVersion());
  // One stack at a time: each is built, written as JSON and taken out of the tree again, so that
  // only one stack's cdktf constructs and tokens are alive at once (a stack refers to nothing in
  // another, see stackJson). At 4000 VMs, 400 stacks built first held ~100 MiB more at the peak.
  return stackContents(lab).map((contents) => {
    const stack = new ProxmoxTerraformStack(root, contents);
    const file = { path: `${stack.node.id}/${STACK_FILE}`, content: stableJson(stackJson(stack)) };
    root.node.tryRemoveChild(stack.node.id);
    return file;
  });
}

/** Options of {@link stackJson}. */
export interface StackJsonOptions {
  /**
   * Run cdktf's "preparing" resolve pass first, as `App.synth()` does.
   * @default false
   */
  readonly preparingPass?: boolean;
  /**
   * Make the JSON with cdktf's own `TerraformStack.toTerraform()`, which resolves every value of
   * the stack, instead of {@link stackTerraform}, which gives cdktf's resolution only the values
   * that can hold a token.
   * @default false
   */
  readonly cdktfResolve?: boolean;
}

/**
 * One stack's Terraform JSON, as `App.synth()` makes it, without cdktf's "preparing" pass.
 *
 * `prepareStack()` resolves every element of the stack once and throws the result away; its only
 * effect (cdktf 0.21 `tfExpression.js` `Reference.resolve`, the one reader of
 * `context.preparing`) is to turn a reference to a resource of another stack into an output there
 * and a remote state here. The stacks rendered here hold no such reference: each stack refers to
 * its own resources only (an image another stack downloads is referred to by its volume id, a
 * string), and under this projection's root, which is no cdktf App, a cross-stack reference could
 * not even be made (`App.of` throws). So the pass doubled the Terraform projection's token
 * resolution for nothing (issue 17: 741 → 469 ms at 1000 VMs). test/terraform/preparing-pass.test.ts
 * shows byte-identical output with and without it, and that no stack refers outside itself.
 *
 * The JSON itself is `toTerraform()`'s, made by {@link stackTerraform}, which resolves only what
 * can hold a token (test/terraform/stack-synthesis.test.ts: the same bytes).
 */
export function stackJson(stack: TerraformStack, options: StackJsonOptions = {}): unknown {
  if (options.preparingPass) {
    stack.prepareStack();
  } else {
    stack.ensureBackendExists();
  }
  invokeAspects(stack);
  return options.cdktfResolve ? stack.toTerraform() : stackTerraform(stack);
}

/**
 * The entry point of `cdktf synth`: validates the lab (throwing every error at once), builds its
 * stacks in a cdktf App and synthesizes them into the App's output folder (cdktf.out).
 */
export function synthesizeTerraformApp(lab: Homelab, app: App = new App()): App {
  // Validation and the build share the per-run indexes, as in homelab synth.
  return withSharedIndexes(lab, () => {
    const report = validateLab(lab);
    if (report.errors.length > 0) {
      throw new ValidationError(report);
    }
    buildTerraformStacks(lab, app);
    app.synth();
    return app;
  });
}

/**
 * Which stack downloads each image: the first stack (by name) whose VMs boot from it; an image
 * no VM uses goes to the first stack whose endpoint is the image's host, else to the first whose
 * API reaches that host (a stack of its cluster); with none, no stack can.
 * Other stacks refer to the file by its volume id.
 */
function assignDownloads(lab: Homelab, plans: readonly StackPlan[]): Map<StackPlan, VmImage[]> {
  const owner = new Map<VmImage, StackPlan>();
  for (const plan of plans) {
    for (const image of imagesOf(plan.vms)) {
      if (image.isDownloaded && !owner.has(image)) {
        owner.set(image, plan);
      }
    }
  }
  const allImages = lab.node.findAll().filter(VmImage.isVmImage).filter((i) => i.isDownloaded && ProxmoxStorage.isProxmoxStorage(i.storage));
  for (const image of allImages) {
    if (!owner.has(image) && plans.length > 0) {
      // Only a stack whose API reaches the image's node can download it there.
      const node = image.storage.proxmoxHost;
      const plan = plans.find((p) => p.settings.endpoint === node) ?? plans.find((p) => p.settings.endpoint?.apiReaches(node));
      if (plan) {
        owner.set(image, plan);
      }
    }
  }
  const result = new Map<StackPlan, VmImage[]>();
  for (const [image, plan] of owner) {
    result.set(plan, [...(result.get(plan) ?? []), image]);
  }
  return result;
}

/** The HA objects of one stack. */
interface StackHighAvailability {
  readonly groups: HaGroup[];
  readonly resources: HaResource[];
}

/**
 * Which stack creates each HA object: an HA resource goes with its VM; an HA group with the
 * first stack (by name) that has one of its resources, else the first whose API reaches the
 * cluster.
 */
function assignHighAvailability(lab: Homelab, plans: readonly StackPlan[]): Map<StackPlan, StackHighAvailability> {
  const result = new Map<StackPlan, StackHighAvailability>(plans.map((p) => [p, { groups: [], resources: [] }]));
  const planOf = (vm: ProxmoxVm) => plans.find((p) => p.vms.includes(vm));
  for (const cluster of ProxmoxCluster.all(lab)) {
    for (const r of cluster.haResources) {
      const plan = planOf(r.vm);
      if (plan) {
        result.get(plan)!.resources.push(r);
      }
    }
    for (const group of cluster.haGroups) {
      const user = cluster.haResources.find((r) => r.group === group && planOf(r.vm));
      const plan = (user && planOf(user.vm)) ?? plans.find((p) => cluster.members.some((m) => p.settings.endpoint?.apiReaches(m)));
      if (plan) {
        result.get(plan)!.groups.push(group);
      }
    }
  }
  return result;
}

/** JSON with object keys sorted and two-space indentation, as cdktf writes stacks. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value !== null && typeof value === 'object') {
    // One loop, not sort/filter/map/fromEntries: four arrays for each object of every stack were
    // a tenth of the Terraform projection's allocations at 4000 VMs (issue 17).
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) {
        if (k === '__proto__') {
          // As fromEntries did: a key, not the prototype.
          Object.defineProperty(sorted, k, { value: sortKeys(v), enumerable: true, writable: true, configurable: true });
        } else {
          sorted[k] = sortKeys(v);
        }
      }
    }
    return sorted;
  }
  return value;
}

function cdktfVersion(): string {
  return (require('cdktf/package.json') as { version: string }).version;
}

// `homelab synth` loads this module when it first renders terraform (see lib/synth/projections.ts).
provideProjectionRenderer('terraform', renderTerraformStacks);
