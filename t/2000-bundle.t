#!/bin/sh
# Bundles (lib/bundle.c) and SHA-256 (lib/sha256.c): the unit tests,
# with the CPU's SHA extensions where it has them; then the SHA-256
# tests again with the portable rounds.
cd "$(dirname "$0")/.." || exit 1
build/t/bundle || exit 1
echo "# again with the portable SHA-256:"
out=$(BANGER_SHA256_PORTABLE=1 build/t/bundle sha256) && st=0 || st=$?
printf '%s\n' "$out" | sed 's/^/# /'
exit "$st"
