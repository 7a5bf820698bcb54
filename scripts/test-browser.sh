#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/web/test_simulator_browser.py): installs Debian's
# chromium, chromium-driver and the CJK fonts if missing. The tests use /usr/bin/chromium and
# /usr/bin/chromedriver and never download a browser or a driver. Needs root (or sudo) to install.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)

if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} from Debian packages..." >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
/usr/bin/chromium --version 2>/dev/null | cat >&2
