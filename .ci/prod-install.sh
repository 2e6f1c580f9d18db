#!/usr/bin/env bash
# The production install, as README's "Production install" describes it: a fresh clone,
# `npm ci --omit=dev` (no test, lint or pm2 tooling), then `npx webio-reports` works.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/app"
cd "$work/app"
npm ci --omit=dev --no-audit --no-fund
for dev in vitest eslint prettier pm2 @types/node; do
  if [ -e "node_modules/$dev" ]; then echo "prod install: dev dependency $dev was installed" >&2; exit 1; fi
done
npx webio-reports --version
npx webio-reports demo --dir "$work/demo" > "$work/demo.log"
grep -q 'daily-summary for' "$work/demo.log" || { cat "$work/demo.log"; echo "prod install: demo did not run" >&2; exit 1; }
echo "prod install: npm ci --omit=dev, webio-reports --version and demo work"
