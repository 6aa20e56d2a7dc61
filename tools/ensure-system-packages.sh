#!/usr/bin/env bash
# Installs the Debian packages whose tools the tests run, when they are missing:
#   nix-instantiate (nix-bin), shellcheck, dnsmasq (dnsmasq-base), promtool (prometheus), rclone,
#   busybox (udhcpc and nslookup: the DHCP and DNS client of the network-namespace tests),
#   tcpdump and wakeonlan (the magic packet, sent and captured on a veth), iptables (a host's
#   generated firewall, loaded into a network namespace), systemd-analyze (systemd: the verdicts on
#   calendar events that lib/core/calendar.ts must match), age and ssh-keygen (openssh-client:
#   `homelab secrets init` and its tests), git (the ignored-flake check).
# Run by `npm test` (pretest) and by .ci/run. Needs root (or sudo) to install.
set -euo pipefail

declare -A wanted=(
  [nix-instantiate]=nix-bin
  [shellcheck]=shellcheck
  [dnsmasq]=dnsmasq-base
  [promtool]=prometheus
  [rclone]=rclone
  [busybox]=busybox
  [tcpdump]=tcpdump
  [wakeonlan]=wakeonlan
  [iptables]=iptables
  [systemd-analyze]=systemd
  [age]=age
  [age-keygen]=age
  [ssh-keygen]=openssh-client
  [git]=git
)

missing=()
for tool in "${!wanted[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${wanted[$tool]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "ensure-system-packages: installing ${missing[*]}" >&2
if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "ensure-system-packages: need root to install ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
