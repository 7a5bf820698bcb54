#!/usr/bin/env bash
# What the browser tests (tests/web/test_browser.py) need: Debian's chromium and its chromedriver, and a
# CJK font so that Chinese renders in the screenshots. Installs whichever is missing (root or sudo).
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -n "$(fc-list "Noto Sans CJK SC" 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} from Debian packages..." >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
/usr/bin/chromium --version 2>/dev/null | cat >&2
