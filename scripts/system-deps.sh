#!/usr/bin/env bash
# Installs the Debian packages Sandhan needs when they are missing; does nothing when all are there.
#   system-deps.sh build   - what `pip install` needs to compile PyICU against the system ICU
#   system-deps.sh browser - headless Chromium and a Bangla font, for the browser tests
#   system-deps.sh opensearch - Java and Maven, for a local OpenSearch node (tests, `make opensearch`)
set -euo pipefail
case "${1:-build}" in
  build) wanted=(libicu-dev pkg-config g++ python3-venv) ;;
  browser) wanted=(chromium fonts-noto-core) ;;
  opensearch) wanted=(openjdk-17-jdk-headless maven) ;;
  *) echo "usage: $0 build|browser|opensearch" >&2; exit 2 ;;
esac
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
