# shellcheck shell=sh
# images/lib.sh — the last step every image recipe shares.  Source it.
#
# image_publish NAME SSH: in the current directory (the recipe's $TMP),
# turn rootfs.ext4 into out/{rootfs.ext4,manifest.json} (version = the
# first 16 hex digits of its sha256; "ssh" names the image's server),
# then put out/ at $OUT: OUTDIR is the old complete image or the new
# one, never half of either.  (mv -T: a concurrent build that got there
# first makes this one fail rather than nest.)  Sets HASH.
image_publish() {
	HASH=$(sha256sum rootfs.ext4)
	HASH=${HASH%% *}
	_files="{\"rootfs.ext4\":{\"size\":$(stat -c %s rootfs.ext4),\"sha256\":\"$HASH\"}}"
	printf '{"name":"%s","kind":"image","version":"%s","files":%s,"ssh":"%s"}\n' \
	    "$1" "$(echo "$HASH" | cut -c1-16)" "$_files" "$2" > manifest.json
	mkdir out
	mv rootfs.ext4 manifest.json out/
	if [ -e "$OUT" ]; then
		mv -T "$OUT" "$TMP/old"
	fi
	mv -T "$TMP/out" "$OUT"
}
