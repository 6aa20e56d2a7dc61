import { execFileSync } from 'node:child_process';

/** The real tools the tests check output with. Missing ones fail the run; they are never skipped. */
const REQUIRED_TOOLS: Record<string, string> = {
  'nix-instantiate': 'nix-bin',
  shellcheck: 'shellcheck',
  dnsmasq: 'dnsmasq-base',
  promtool: 'prometheus',
  rclone: 'rclone',
  busybox: 'busybox',
  tcpdump: 'tcpdump',
  wakeonlan: 'wakeonlan',
  iptables: 'iptables',
};

export default function setup(): void {
  const missing = Object.entries(REQUIRED_TOOLS).filter(([tool]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `the tests need ${missing.map(([t, p]) => `${t} (Debian package ${p})`).join(', ')}; ` +
        'run tools/ensure-system-packages.sh (npm test does it first)',
    );
  }
}
