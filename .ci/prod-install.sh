#!/usr/bin/env bash
# The production install, as README's "Production install" describes it: a fresh clone,
# `npm ci` (which builds dist/), then `npm prune --omit=dev` (no build, test or lint tool is
# left, TypeScript included), and the command works from dist/.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/app"
cd "$work/app"
npm ci --no-audit --no-fund
npm prune --omit=dev --no-audit --no-fund
for dev in typescript vitest eslint prettier pm2 @types/node @duckdb/node-api @stryker-mutator/core; do
  if [ -e "node_modules/$dev" ]; then echo "prod install: dev dependency $dev is still installed" >&2; exit 1; fi
done
node dist/cli.js --version
node dist/cli.js demo --dir "$work/demo" > "$work/demo.log"
grep -q 'daily-summary for' "$work/demo.log" || { cat "$work/demo.log"; echo "prod install: demo did not run" >&2; exit 1; }
echo "prod install: npm ci, npm prune --omit=dev, and node dist/cli.js --version and demo work"
