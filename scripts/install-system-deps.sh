#!/usr/bin/env bash
# Debian packages the dashboard and its tests need. Idempotent; does nothing when they are present.
#   scripts/install-system-deps.sh         everything `make test` needs: Chromium, CJK fonts (Chinese
#                                          glyphs in screenshots, charts and the PDF briefing), nginx
#                                          (reverse-proxy tests) and poppler-utils (the briefing's tests
#                                          read the PDF with pdftotext, pdffonts, pdfinfo, pdftoppm)
#   scripts/install-system-deps.sh --run   what `make run` needs: the CJK fonts the PDF briefing embeds;
#                                          when they cannot be installed (no root, no sudo) it says so
#                                          and the dashboard still starts (the briefing then names the
#                                          missing font)
# Playwright's own browser download cannot work offline, so the tests drive Debian's /usr/bin/chromium.
set -euo pipefail
mode=${1:-test}
need=()
# grep reads all of fc-list (with -q it may stop early, and pipefail would count the SIGPIPE).
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
if [ "$mode" != "--run" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing Debian packages: ${need[*]}"
install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
if [ "$mode" = "--run" ]; then
  install || echo "could not install ${need[*]}: the PDF briefing (下载简报) needs it; install it as root" >&2
else
  install
fi
