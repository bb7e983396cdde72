#!/usr/bin/env bash
# The node's OpenAPI 3.1 and AsyncAPI 3.0 documents, checked by parsers
# that are not ours (validate.js). They come from the npm registry, so this
# downloads them into <build>/api-validation/ on its first run: `make
# validate-api`, not part of `make test` (whose build downloads nothing).
# Pinned majors: @apidevtools/swagger-parser 10, @asyncapi/parser 3.
#   tests/api_validation/validate.sh <build dir>
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
weft="$build/main/weft"
work="$build/api-validation"
mkdir -p "$work/docs"

if ! command -v npm >/dev/null; then
  echo "validate-api: installing nodejs and npm (apt)"
  sudo_cmd=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $sudo_cmd apt-get install -y -q nodejs npm >/dev/null
fi
if [ ! -d "$work/node_modules/@asyncapi/parser" ] || [ ! -d "$work/node_modules/@apidevtools/swagger-parser" ]; then
  echo "validate-api: fetching the validators from npm"
  (cd "$work" && { [ -f package.json ] || npm init -y >/dev/null; } \
     && npm install --no-audit --no-fund --loglevel=error \
          @apidevtools/swagger-parser@10 @asyncapi/parser@3 >/dev/null)
fi

# The documents of a node with each example schema (the hand-written
# services' routes and events are in every one of them).
files=()
for schema in "$root"/schema/examples/*.mmd; do
  name=$(basename "$schema" .mmd)
  "$weft" schema openapi "$schema" > "$work/docs/$name.openapi.json"
  "$weft" schema asyncapi "$schema" > "$work/docs/$name.asyncapi.json"
  files+=("$work/docs/$name.openapi.json" "$work/docs/$name.asyncapi.json")
done
NODE_PATH="$work/node_modules" node "$here/validate.js" "${files[@]}"
