#!/usr/bin/env bash
# Installs what the accessibility and print tests need: Debian's chromium and poppler-utils (pdfinfo,
# pdftotext, pdftoppm) from apt, and axe-core from the npm registry into tools/node_modules (pinned by
# tools/package-lock.json). Needs root (or sudo) for apt; the npm part is project-local.
set -euo pipefail
cd "$(dirname "$0")"

APT_PAKKER=(chromium poppler-utils)
mangler=()
command -v chromium >/dev/null 2>&1 || mangler+=(chromium)
command -v pdfinfo >/dev/null 2>&1 || mangler+=(poppler-utils)
if [ ${#mangler[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "Trenger root eller sudo for å installere ${mangler[*]} med apt-get." >&2; exit 1; }
        SUDO="sudo"
    fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${APT_PAKKER[@]}"
fi

command -v npm >/dev/null 2>&1 || { echo "Fant ikke npm. Installer Node.js og npm (Debian: apt-get install npm)." >&2; exit 1; }
if [ ! -f node_modules/axe-core/axe.min.js ]; then
    # `npm ci` installs exactly what package-lock.json pins.
    npm ci --no-audit --no-fund
fi
echo "Nettleserverktøy klare: $(chromium --version 2>/dev/null | head -1); axe-core $(node -p "require('./node_modules/axe-core/package.json').version")"
