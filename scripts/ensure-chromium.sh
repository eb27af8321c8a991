#!/usr/bin/env bash
# The dashboard's browser tests drive the system Chromium (Debian package `chromium`) with
# playwright-core; test tools' own browser downloads cannot reach their hosts. Installs it when
# missing and this user may (root with apt-get), otherwise says what to do.
set -euo pipefail
CHROMIUM=${MLOPS_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Chromium for the browser tests (apt-get install chromium)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "Chromium is missing at $CHROMIUM: install the 'chromium' package (sudo apt-get install chromium) or set MLOPS_CHROMIUM" >&2
exit 1
