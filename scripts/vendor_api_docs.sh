#!/usr/bin/env bash
# Re-vendor Swagger UI and ReDoc for the offline API docs (/docs, /redoc; issue 18):
#   bash scripts/vendor_api_docs.sh [SWAGGER_UI_VERSION] [REDOC_VERSION]
# Takes the files the pages load, their licences and bundled notices from the npm
# packages, then makes one change: ReDoc's sidebar footer loads its logo from
# cdn.redoc.ly (the only request it makes outside the server), so that URL becomes
# an empty inline SVG. Writes frontend/vendor/{swagger-ui,redoc}/README.md with the
# versions and sha256 sums.
set -euo pipefail
cd "$(dirname "$0")/.."
SWAGGER="${1:-5.35.0}"
REDOC="${2:-2.5.4}"
LOGO='https://cdn.redoc.ly/redoc/logo-mini.svg'
EMPTY_SVG="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$SWAGGER" "redoc@$REDOC" >/dev/null)
mkdir -p "$tmp/sw" "$tmp/rd"
tar xzf "$tmp/swagger-ui-dist-$SWAGGER.tgz" -C "$tmp/sw"
tar xzf "$tmp/redoc-$REDOC.tgz" -C "$tmp/rd"

sw=frontend/vendor/swagger-ui
rd=frontend/vendor/redoc
rm -rf "$sw" "$rd"
mkdir -p "$sw" "$rd"
p="$tmp/sw/package"
cp "$p/swagger-ui-bundle.js" "$p/swagger-ui-bundle.js.LICENSE.txt" "$p/swagger-ui.css" \
  "$p/LICENSE" "$p/NOTICE" "$sw/"
p="$tmp/rd/package"
cp "$p/bundles/redoc.standalone.js" "$p/bundles/redoc.standalone.js.LICENSE.txt" \
  "$p/LICENSE" "$rd/"
if [ "$(grep -c "$LOGO" "$rd/redoc.standalone.js")" != 1 ]; then
  echo "redoc $REDOC: expected the logo URL exactly once; check the bundle by hand" >&2
  exit 1
fi
sed -i "s|$LOGO|$EMPTY_SVG|" "$rd/redoc.standalone.js"

note() {  # DIR PACKAGE VERSION LICENCE CHANGES
  {
    echo "# $2 $3 (vendored)"
    echo
    echo "Pinned copy for the offline API docs (\`/docs\`, \`/redoc\`; server/api/docs.py), from"
    echo "the npm package \`$2@$3\` by scripts/vendor_api_docs.sh. Licence: $4 (LICENSE; the"
    echo "bundled third-party notices are in *.LICENSE.txt). $5"
    echo
    echo '```'
    (cd "$1" && sha256sum $(ls | grep -v README.md))
    echo '```'
  } >"$1/README.md"
}
note "$sw" swagger-ui-dist "$SWAGGER" Apache-2.0 "The files are unchanged."
note "$rd" redoc "$REDOC" MIT "One change: the sidebar footer's logo
URL ($LOGO) is an empty inline SVG, so the page asks nothing of the internet."
echo "vendored swagger-ui-dist $SWAGGER and redoc $REDOC"
