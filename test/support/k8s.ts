/**
 * Kubernetes manifests for the tests: YAML parsing with the `yaml` package (as kubectl reads
 * multi-document files) and validation of every object against the Kubernetes OpenAPI schemas
 * with kubernetes-models 4.5.1 (offline). kubernetes-models does not reject unknown fields, so
 * tests that patch objects assert the patched fields themselves.
 */
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as JSON. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

/** The objects of a multi-document YAML file; a parse error fails. */
export function parseManifest(text: string): KubeObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) {
      throw new Error(`YAML error: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    return doc.toJS() as KubeObject;
  });
}

/**
 * Validates one object with the kubernetes-models class of its apiVersion and kind; returns the
 * problems (empty when valid). A kind kubernetes-models does not know is a problem too.
 */
export function kubernetesProblems(obj: KubeObject): string[] {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  let models: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    models = require(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
  } catch {
    return [`${obj.kind} ${obj.metadata?.name}: no kubernetes-models schema for apiVersion ${obj.apiVersion}`];
  }
  const Model = models[obj.kind];
  if (!Model) {
    return [`${obj.kind} ${obj.metadata?.name}: no kubernetes-models schema for kind ${obj.kind} in ${obj.apiVersion}`];
  }
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`];
  }
}

/** The one object of a kind (and name, when given); fails when there is not exactly one. */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  }
  return found[0];
}
