#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: Valkey 8 with its
# Sentinel (from Debian's bookworm-backports suite, added to apt's sources when
# absent) and Redis 7.
# Safe to run again: it does nothing when every binary is already present.
set -euo pipefail

need=()
command -v valkey-server >/dev/null 2>&1 || need+=(valkey-server)
command -v valkey-cli >/dev/null 2>&1 || need+=(valkey-tools)
command -v valkey-sentinel >/dev/null 2>&1 || need+=(valkey-sentinel)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi

backports_present() {
  grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}

if [[ " ${need[*]} " == *" valkey-"* ]] && ! backports_present; then
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
    echo "install-deps: adding bookworm-backports to apt sources" >&2
    $sudo tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
fi

echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
valkey=()
redis=()
for p in "${need[@]}"; do
  case "$p" in
    valkey-*) valkey+=("$p") ;;
    *) redis+=("$p") ;;
  esac
done
if [ ${#valkey[@]} -gt 0 ]; then
  # Valkey 8 lives in backports on bookworm; later releases carry it in main.
  if apt-cache policy valkey-server 2>/dev/null | grep -q bookworm-backports; then
    $sudo apt-get install -y -qq -t bookworm-backports "${valkey[@]}"
  else
    $sudo apt-get install -y -qq "${valkey[@]}"
  fi
fi
if [ ${#redis[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq "${redis[@]}"
fi

# The packages start system services on their default ports; the tests start
# their own servers on free ports, so the system ones are stopped to stay out of the way.
for svc in valkey-server valkey-sentinel redis-server; do
  if command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
  $sudo service "$svc" stop >/dev/null 2>&1 || true
done

valkey-server --version
redis-server --version
