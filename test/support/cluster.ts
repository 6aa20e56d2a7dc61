/** Small k3s labs for the cluster and Kubernetes tests. */
import { Construct } from 'constructs';
import { HardwareProfile, Homelab, Host, K3sCluster, K3sClusterProps, Protocol, Secret, validateForSynthesis } from '../../lib/internal';
import { smallLab, vmHost } from './labs';

/** A lab with a server (10.0.0.11), two agents (.12, .13) and a Pi (.10) that is no node yet. */
export function clusterLab(props: Partial<K3sClusterProps> = {}) {
  const { lab } = smallLab();
  const server = vmHost(lab, 'server', '10.0.0.11');
  const worker1 = vmHost(lab, 'worker1', '10.0.0.12');
  const worker2 = vmHost(lab, 'worker2', '10.0.0.13');
  const pi = new Host(lab, 'pi', { hardware: HardwareProfile.raspberryPi4(), ipAddress: '10.0.0.10', macAddress: 'dc:a6:32:00:00:10' });
  const cluster = new K3sCluster(lab, 'k3s', { token: Secret.fromFile('/var/lib/secrets/k3s-token'), ...props });
  return { lab, cluster, server, worker1, worker2, pi };
}

/** Another service that listens on a host: holds a port there, as Dnsmasq holds 53. */
export class PortHolder extends Construct {
  public constructor(scope: Homelab, id: string, host: Host, port: number, protocols: Protocol[] = [Protocol.UDP, Protocol.TCP]) {
    super(scope, id);
    for (const protocol of protocols) {
      host.reservePort(this, { port, protocol, description: id });
    }
  }
}

/** The error messages of a lab, as `path: message` lines. */
export function errorsOf(lab: Homelab): string[] {
  return validateForSynthesis(lab).errors.map((f) => `${f.path}: ${f.message}`);
}

/** The warnings of a lab, as `path: message` lines. */
export function warningsOf(lab: Homelab): string[] {
  return validateForSynthesis(lab).warnings.map((f) => `${f.path}: ${f.message}`);
}
