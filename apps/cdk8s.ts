/**
 * The app that `cdk8s synth` runs (see cdk8s.yaml): the reference lab's Kubernetes manifests,
 * validated like `homelab synth` does, written by cdk8s into its output folder (dist/k8s).
 */
import { synthKubernetesApp } from '../lib/kubernetes';
import { buildReferenceLab } from './reference-lab';

synthKubernetesApp(buildReferenceLab().lab);
