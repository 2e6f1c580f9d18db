#!/usr/bin/env bash
# The suite again on each Node major operators run (22 and 24; the machine's own, 20, ran
# first): the binary and its headers come from the npm registry's node-linux-<arch>
# packages, and better-sqlite3 is rebuilt against each offline. The machine's build is
# restored afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "CI: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
system_node="$(command -v node)"
# Each Node package is about 200 MB: removed when the script ends, however it ends.
prefixes=()
trap 'rm -rf "${prefixes[@]}"' EXIT
for major in ${NODE_MAJORS:-22 24}; do
  prefix="$(mktemp -d)"
  prefixes+=("$prefix")
  npm install --no-save --no-audit --no-fund --prefix "$prefix" "node-linux-$arch@$major" >/dev/null
  nodedir="$prefix/node_modules/node-linux-$arch"
  echo "CI: the suite on $("$nodedir/bin/node" --version)"
  PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" npm rebuild better-sqlite3 >/dev/null
  PATH="$nodedir/bin:$PATH" npm test
done
echo "CI: back to $("$system_node" --version)"
npm rebuild better-sqlite3 >/dev/null
