// TypeDoc plugin: puts every documented export in the category of the area it is defined in, read
// from its source folder (lib/storage/… → "Storage"), so the reference is grouped like lib/ is and
// a new construct lands in its area without a @category tag. The generated bpg/proxmox bindings
// get a category of their own, apart from the hand-written Terraform projection.
import { Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/** Area titles by folder of lib/, in the order the reference lists them (typedoc.json categoryOrder). */
export const AREAS = {
  core: 'Core',
  hosts: 'Hosts',
  network: 'Network',
  storage: 'Storage',
  compute: 'Compute',
  cluster: 'Cluster',
  operations: 'Operations',
  synth: 'Synthesis',
  runbook: 'Runbook',
  nix: 'Nix projection',
  terraform: 'Terraform projection',
  k8s: 'Kubernetes projection',
};
export const GENERATED_BINDINGS = 'Generated bpg/proxmox bindings';

/** The category of a source file, or undefined outside lib/. */
export function areaOf(sourcePath) {
  const m = /(?:^|\/)lib\/([^/]+)\/(.*)$/.exec(sourcePath);
  if (!m) {
    return undefined;
  }
  if (m[1] === 'terraform' && m[2].endsWith('.generated.ts')) {
    return GENERATED_BINDINGS;
  }
  const area = AREAS[m[1]];
  if (area === undefined) {
    throw new Error(`typedoc areas: lib/${m[1]} has no area; add it to AREAS in tools/typedoc/areas.mjs`);
  }
  return area;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  // Before the CategoryPlugin (RESOLVE_END at priority -200) reads the @category tags.
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      for (const module of [project, ...project.getReflectionsByKind(ReflectionKind.Module)]) {
        for (const child of module.children ?? []) {
          const id = project.getSymbolIdFromReflection(child);
          const area = id && areaOf(id.packagePath);
          if (!area || child.comment?.getTag('@category')) {
            continue;
          }
          child.comment ??= new Comment();
          child.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: area }]));
        }
      }
    },
    0,
  );
}
