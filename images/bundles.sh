#!/bin/sh
# images/bundles.sh OUTDIR URL — the bundles of what `make images` (and
# `sudo make image-debian`, when it was run) built, and a catalog that
# names them at URL (docs/bundles.md, docs/image-catalog.md):
#
#   OUTDIR/debian-6.1-amd64.tar.zst   the kernel bundle (build/images/kernel)
#   OUTDIR/test.tar.zst               the test image (build/images/test)
#   OUTDIR/debian-bookworm.tar.zst    the golden image, if it was built
#   OUTDIR/catalog.json               {"images":[...],"kernels":[...]}
#
# Serve OUTDIR at URL over https and set catalog_file to catalog.json:
# `banger image pull` and `vm run` then pull from there.  BUNDLE_LEVEL
# sets the zstd level (default 3; releases use 19).
set -eu
out=${1:?usage: images/bundles.sh OUTDIR URL}
url=${2:?usage: images/bundles.sh OUTDIR URL}
B=$(cd "$(dirname "$0")/.." && pwd)/build
level=${BUNDLE_LEVEL:-3}
KERNEL=debian-6.1-amd64
mkdir -p "$out"

# bundle KIND NAME DIR: OUTDIR/NAME.tar.zst; prints the catalog entry.
bundle() {
	"$B/bin/banger" "$1" bundle "$2" "$out/$2.tar.zst" --from "$3" \
	    --level "$level" --json >"$out/.$2.json"
	jq -c --arg url "${url%/}/$2.tar.zst" --arg k "$4" \
	    '{name, url: $url, sha256, size} + (if $k == "" then {} else {kernel: $k} end)' \
	    "$out/.$2.json"
	rm -f "$out/.$2.json"
}

k=$(bundle kernel "$KERNEL" "$B/images/kernel" "")
imgs=$(bundle image test "$B/images/test" "$KERNEL")
if [ -f "$B/images/debian-bookworm/manifest.json" ]; then
	imgs="$imgs,$(bundle image debian-bookworm "$B/images/debian-bookworm" "$KERNEL")"
else
	echo "bundles: no golden image in $B/images/debian-bookworm (sudo make image-debian): skipped" >&2
fi
printf '{"version":1,"images":[%s],"kernels":[%s]}\n' "$imgs" "$k" |
    jq . >"$out/catalog.json.tmp"
mv "$out/catalog.json.tmp" "$out/catalog.json"
echo "bundles: $out/catalog.json names $(jq -r '[.images[].name, .kernels[].name] | join(", ")' "$out/catalog.json") at $url"
