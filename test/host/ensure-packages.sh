#!/bin/bash
# Installs the Debian packages the tests and the demo use, when they are missing.
#   ensure-packages.sh [--if-root] PACKAGE...
# --if-root: packages that only make things better (musl-tools): without root, go on without them.
set -euo pipefail
if_root=0
[ "${1:-}" = --if-root ] && if_root=1 && shift
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  [ $if_root = 1 ] && exit 0
  echo "missing Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} ..." >&2
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
