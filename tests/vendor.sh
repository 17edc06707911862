#!/usr/bin/env bash
# Test-only front-end tools from npm (not served to users): axe-core for accessibility checks.
set -euo pipefail
cd "$(dirname "$0")/.."
target=var/npm/node_modules/axe-core/axe.min.js
if [ ! -f "$target" ]; then
  mkdir -p var/npm
  npm install --silent --prefix var/npm --no-audit --no-fund --no-save axe-core@4 >/dev/null
fi
