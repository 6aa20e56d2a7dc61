/**
 * `onHost` with the cdk8s-plus that matches the lab's k3s, not only the library's own 28: a
 * Deployment of cdk8s-plus-28, 33 and 34 in a ClusterChart, pinned by Host to a tainted node.
 * The type half of this test is `npm run typecheck` (this file is compiled strictly: with
 * cdk8s-plus-28's `PodScheduling` as onHost's parameter type, the 33 and 34 lines are type
 * errors, because its classes have private members); the run-time half renders each and reads
 * the node affinity and the tolerations back from the manifest, checked by kubernetes-models.
 */
import * as kplus28 from 'cdk8s-plus-28';
import * as kplus33 from 'cdk8s-plus-33';
import * as kplus34 from 'cdk8s-plus-34';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ClusterChart, TaintEffect } from '../../lib';
import { renderKubernetesManifests } from '../../lib/internal';
import { onHost } from '../../lib/kubernetes';
import { clusterLab, errorsOf } from '../support/cluster';
import { kubernetesProblems } from '../support/k8s';

const versions = [
  { name: 'cdk8s-plus-28', deploy: (chart: ConstructScope, id: string) => new kplus28.Deployment(chart, id, { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }) },
  { name: 'cdk8s-plus-33', deploy: (chart: ConstructScope, id: string) => new kplus33.Deployment(chart, id, { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }) },
  { name: 'cdk8s-plus-34', deploy: (chart: ConstructScope, id: string) => new kplus34.Deployment(chart, id, { containers: [{ image: 'traefik/whoami:v1.10.1', portNumber: 80 }] }) },
];
type ConstructScope = ConstructorParameters<typeof kplus28.Deployment>[0];

describe('onHost with the cdk8s-plus of your k3s', () => {
  for (const version of versions) {
    it(`pins a ${version.name} Deployment to its node and tolerates the node's taint`, () => {
      const { lab, cluster, server, worker1 } = clusterLab();
      cluster.addServer(server);
      cluster.addAgent(worker1, { taints: [{ key: 'dedicated', value: 'media', effect: TaintEffect.NO_SCHEDULE }] });
      new ClusterChart(cluster, 'whoami', {
        namespace: 'apps',
        build: (chart) => {
          onHost(version.deploy(chart, 'web'), worker1);
        },
      });
      expect(errorsOf(lab)).toEqual([]);
      const [file] = renderKubernetesManifests(lab).filter((f) => f.path === 'whoami.k8s.yaml');
      const objects = parseAllDocuments(file.content).map((d) => d.toJS());
      expect(objects.flatMap(kubernetesProblems)).toEqual([]);
      const pod = objects.find((o) => o.kind === 'Deployment').spec.template.spec;
      expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
        { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker1'] }] },
      ]);
      expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' }]);
    });
  }
});
