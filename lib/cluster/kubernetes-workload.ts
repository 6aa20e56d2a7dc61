/**
 * What the model says about a construct that becomes a chart of the Kubernetes projection: the
 * chart's name, and the JSON patches that the projection applies to the chart's objects (the
 * Kubernetes escape hatch, recorded on the model like `addNixSettings` and
 * `addTerraformOverride`). No cdk8s here: the model declares, the projection applies.
 */
import { IConstruct } from 'constructs';
import { byText } from '../core/order';
import { recordError } from '../core/problems';
import { quoted } from '../core/readable';
import { perValidationRun, problem } from '../core/validation';
import { Kind } from '../core/kind';

/** The operations of a JSON patch (RFC 6902), as cdk8s's `JsonPatch` applies them. */
export type KubernetesPatchOperation = 'add' | 'remove' | 'replace' | 'copy' | 'move' | 'test';

/** One JSON patch operation (RFC 6902) on a generated Kubernetes object. */
export interface KubernetesPatch {
  /** The operation. */
  readonly op: KubernetesPatchOperation;
  /** The JSON pointer it changes, such as `/spec/template/spec/priorityClassName`. */
  readonly path: string;
  /**
   * The value for `add`, `replace` and `test`.
   * @default - none (required by add, replace and test)
   */
  readonly value?: unknown;
  /**
   * The JSON pointer `copy` and `move` read from.
   * @default - none (required by copy and move)
   */
  readonly from?: string;
}

/** A patch as the model keeps it: the object it targets and the operation. */
export interface TargetedKubernetesPatch {
  /** The object's kind (`Deployment`), optionally with its `metadata.name` (`Deployment/adguard-home`). */
  readonly target: string;
  /** The operation. */
  readonly patch: KubernetesPatch;
}

/**
 * A construct of the model that becomes one chart, `dist/k8s/<chartName>.k8s.yaml`: a workload
 * such as `AdGuardHome`, or a `ClusterChart`.
 */
export interface IKubernetesWorkload extends IConstruct {
  /** The chart's name: its file and the prefix of its objects' names. */
  readonly chartName: string;
  /** The patches added with `addKubernetesPatch`, in the order they were added. */
  readonly kubernetesPatches: readonly TargetedKubernetesPatch[];
  /**
   * Escape hatch: a JSON patch on an object of the chart, applied by the Kubernetes projection
   * with cdk8s's `ApiObject.addJsonPatch`. `target` is the object's kind (`Deployment`), or kind
   * and name (`Service/adguard-home-web`) when the chart has several of that kind.
   */
  addKubernetesPatch(target: string, patch: KubernetesPatch): void;
}

const KUBERNETES_WORKLOAD = Kind.named<IKubernetesWorkload>('KubernetesWorkload');
const OPERATIONS: readonly KubernetesPatchOperation[] = ['add', 'remove', 'replace', 'copy', 'move', 'test'];
/** A kind (`Deployment`), optionally `/` and an object name (a DNS subdomain). */
const TARGET = /^[A-Z][A-Za-z0-9]*(\/[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)?$/;

/** Marks `workload` as a chart of the Kubernetes projection (in its constructor). */
export function markKubernetesWorkload(workload: IKubernetesWorkload): void {
  KUBERNETES_WORKLOAD.mark(workload);
}

/** Is `x` a construct that becomes a chart (of any copy of this library)? */
export function isKubernetesWorkload(x: unknown): x is IKubernetesWorkload {
  return KUBERNETES_WORKLOAD.is(x);
}

/**
 * The patches of one workload: checks each as it is added (a mistake is an error of the
 * workload, the patch is not kept) and keeps the rest in order.
 */
export class KubernetesPatches {
  private readonly patches: TargetedKubernetesPatch[] = [];

  public constructor(private readonly owner: IConstruct) {}

  /** The patches kept, in the order they were added. */
  public get all(): readonly TargetedKubernetesPatch[] {
    return this.patches;
  }

  /** Checks and keeps a patch (see {@link IKubernetesWorkload.addKubernetesPatch}). */
  public add(target: string, patch: KubernetesPatch): void {
    const mistake = patchMistake(target, patch);
    if (mistake) {
      recordError(this.owner, mistake);
      return;
    }
    this.patches.push({ target, patch: { ...patch } });
  }
}

function patchMistake(target: string, patch: KubernetesPatch): string | undefined {
  if (typeof target !== 'string' || !TARGET.test(target)) {
    return problem(`the Kubernetes patch target ${quoted(String(target))} is not a kind or kind/name`, 'name the object like "Deployment" or "Service/adguard-home-web"');
  }
  const where = `the Kubernetes patch of ${target}`;
  if (typeof patch !== 'object' || patch === null || !OPERATIONS.includes(patch.op)) {
    return problem(`${where} has the operation ${quoted(String((patch as KubernetesPatch | null)?.op))}`, `use one of ${OPERATIONS.join(', ')} (RFC 6902)`);
  }
  const pointers: Array<[string, unknown]> = [['path', patch.path], ...(patch.op === 'copy' || patch.op === 'move' ? [['from', patch.from] as [string, unknown]] : [])];
  for (const [field, pointer] of pointers) {
    if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/'))) {
      return problem(`${where} has the ${field} ${quoted(String(pointer))}, which is not a JSON pointer`, 'write it like "/spec/template/spec/priorityClassName" (RFC 6901)');
    }
  }
  if ((patch.op === 'add' || patch.op === 'replace' || patch.op === 'test') && patch.value === undefined) {
    return problem(`${where} (${patch.op} ${patch.path}) has no value`, `give the value the ${patch.op} operation writes`);
  }
  return undefined;
}

/** The key of {@link chartNameOwners}'s index, one per validation run. */
const CHART_NAME_OWNERS = {};

/**
 * The construct that owns each chart name: the model's workloads first (by construct path), then
 * the charts that the user builds (`isUserChart`, in declaration order), so that a user's chart
 * never takes the name of one the model makes.
 */
export function chartNameOwners(scope: IConstruct, isUserChart: (x: IKubernetesWorkload) => boolean): Map<string, IKubernetesWorkload> {
  return perValidationRun(scope, CHART_NAME_OWNERS, () => {
    const workloads = scope.node.root.node.findAll().filter(isKubernetesWorkload);
    const model = workloads.filter((w) => !isUserChart(w)).sort(byText((w) => w.node.path));
    const owners = new Map<string, IKubernetesWorkload>();
    for (const workload of [...model, ...workloads.filter(isUserChart)]) {
      if (!owners.has(workload.chartName)) {
        owners.set(workload.chartName, workload);
      }
    }
    return owners;
  });
}
