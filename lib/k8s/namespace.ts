/**
 * A chart's namespace as an object of its own: Kubernetes does not create a namespace that an
 * object names, so `kubectl apply -f dist/k8s/` needs the Namespace object, applied first.
 */
import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/** Namespaces every cluster has; no chart creates them. */
export const BUILT_IN_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/**
 * The Namespace object of `namespace` in `chart` (construct id `id`), unless the namespace is a
 * built-in one; cluster-scoped, so without the chart's default namespace.
 */
export function addNamespace(chart: Chart, namespace: string | undefined, id = 'namespace'): kplus.Namespace | undefined {
  if (namespace === undefined || BUILT_IN_NAMESPACES.has(namespace)) {
    return undefined;
  }
  const object = new kplus.Namespace(chart, id, { metadata: { name: namespace } });
  ApiObject.of(object).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return object;
}

/** Makes every other object of `chart` depend on its Namespace object, so that it comes first. */
export function applyNamespaceFirst(chart: Chart, namespace: kplus.Namespace): void {
  const namespaceObject = ApiObject.of(namespace);
  for (const child of chart.node.findAll()) {
    if (ApiObject.isApiObject(child) && child !== namespaceObject) {
      child.addDependency(namespaceObject);
    }
  }
}

/** Does the chart hold a Namespace object named `namespace` already (made by the user's code)? */
export function hasNamespaceObject(chart: Chart, namespace: string): boolean {
  return chart.node.findAll().some((c) => ApiObject.isApiObject(c) && c.kind === 'Namespace' && c.metadata.name === namespace);
}
