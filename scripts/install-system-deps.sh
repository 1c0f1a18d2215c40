#!/usr/bin/env bash
# Debian packages the end-to-end tests need: Chromium, CJK fonts (Chinese glyphs
# in screenshots and charts) and nginx (reverse-proxy tests). Idempotent; does
# nothing when they are present. Playwright's own browser download cannot work
# offline, so the tests drive Debian's /usr/bin/chromium.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
