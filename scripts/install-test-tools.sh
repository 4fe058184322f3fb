#!/usr/bin/env bash
# Installs the real tools the integration tests run against, or says exactly how to.
# Debian packages are installed when missing and we are root with apt-get; otherwise the install
# commands are printed and the script fails, so no test is ever skipped for a missing tool.
set -euo pipefail

declare -A PKG=([restic]=restic [rclone]=rclone [age]=age [age-keygen]=age [sshd]=openssh-server [ssh]=openssh-client [git]=git [git-lfs]=git-lfs [jq]=jq [ssh-keygen]=openssh-client [zip]=zip [openssl]=openssl)
declare -A BREW=([restic]=restic [rclone]=rclone [age]=age [age-keygen]=age [jq]=jq [git]=git [git-lfs]=git-lfs)

have() {
  if [ "$1" = sshd ]; then command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; else command -v "$1" >/dev/null 2>&1; fi
}

missing=()
# zip and openssl: the tofu plugin-cache tests package a stand-in provider and serve it over TLS.
for tool in restic rclone age age-keygen sshd ssh ssh-keygen git git-lfs jq zip openssl; do
  have "$tool" || missing+=("$tool")
done

if [ "${#missing[@]}" -gt 0 ]; then
  pkgs=$(for t in "${missing[@]}"; do echo "${PKG[$t]}"; done | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing test tools: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  else
    echo "The integration tests need: ${missing[*]}" >&2
    echo "  Debian/Ubuntu: sudo apt-get install -y $pkgs" >&2
    brews=$(for t in "${missing[@]}"; do [ -n "${BREW[$t]:-}" ] && echo "${BREW[$t]}"; done | sort -u | tr '\n' ' ')
    [ -n "$brews" ] && echo "  macOS:         brew install $brews" >&2
    exit 1
  fi
fi

tofu_like=$(command -v tofu || command -v terraform || true)
echo "test tools: restic $(restic version | awk '{print $2}'), rclone $(rclone version | awk 'NR==1{print $2}'), age $(age --version), git $(git --version | awk '{print $3}'), $(git-lfs version | awk '{print $1}')"
echo "tofu/terraform: ${tofu_like:-not found (tofu-plan-with-state-backup tests will fail: install OpenTofu)}"
echo "kubectl: $(command -v kubectl || echo 'not found (k3s-verify tests will fail: install kubectl)')"
