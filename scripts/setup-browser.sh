#!/usr/bin/env bash
# Installs the browser the explorer's browser test drives (tests/integration/explorer.test.ts):
# Debian's `chromium` package. `npm test` runs it first (it uses sudo when not root); already
# installed: nothing to do, at once.
# Elsewhere (macOS, another distribution), point CHROMIUM_PATH at any Chromium or Chrome instead.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
  echo "browser: ${CHROMIUM_PATH} (CHROMIUM_PATH)"
  exit 0
fi
if command -v chromium >/dev/null 2>&1; then
  echo "browser: $(chromium --version 2>/dev/null)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "No apt-get here: install Chromium or Chrome and set CHROMIUM_PATH to its binary." >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
echo "Installing Debian's chromium (about 20 s and 530 MB)..."
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null
echo "browser: $(chromium --version 2>/dev/null)"
