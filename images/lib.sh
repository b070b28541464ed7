# shellcheck shell=sh
# images/lib.sh — what the image recipes share.  Source it.
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

# deb_fetch PKG...: the candidate .deb of each package, in $CACHE, each
# checked against the SHA256 of apt's signed index (downloaded only when
# the cached file is missing or does not match); sets DEBS to their
# paths, one a line.  Recipes sharing a cache (make -j) take turns, by
# a flock on $CACHE/.deb-fetch.lock (fd 9).  The recipe defines die().
deb_fetch() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.deb-fetch.lock"
	flock -w 600 9 || die "timed out waiting for $CACHE/.deb-fetch.lock"
	_deb_fetch "$@"
	exec 9>&-
}

_deb_fetch() {
	_uris=$(apt-get download --print-uris "$@" 2>/dev/null | tr -d "'") ||
	    die "apt-get knows not all of: $* (apt-get update?)"
	[ "$(echo "$_uris" | wc -l)" = "$#" ] ||
	    die "apt-get download --print-uris: unexpected answer"
	# shellcheck disable=SC2034 # for the recipe
	DEBS=$(echo "$_uris" | awk -v c="$CACHE" '{ print c "/" $2 }')
	_sums=$(echo "$_uris" | awk -v c="$CACHE" '{ sub(/^SHA256:/, "", $4);
	    print $4 "  " c "/" $2 }')
	_get=$(echo "$_sums" | sha256sum -c 2>/dev/null | awk -F': ' '$2 != "OK" {
	    n = split($1, p, "/"); sub(/_.*/, "", p[n]); print p[n] }' |
	    tr '\n' ' ')
	[ -n "$_get" ] || return 0
	# As root, apt would drop to _apt, who cannot write the cache.
	_sandbox=
	[ "$(id -u)" != 0 ] || _sandbox="-o APT::Sandbox::User=root"
	# shellcheck disable=SC2086
	(cd "$CACHE" && apt-get download -q $_sandbox $_get) ||
	    die "apt-get download $_get failed"
	echo "$_sums" | sha256sum -c --status ||
	    die "downloaded packages do not match the archive's index"
}

# deb_libs X BIN...: the shared libraries that the dynamic loader of the
# packages unpacked in X resolves for each BIN, from X's library
# directories alone, one path a line, sorted: nothing of the build host
# leaks in.  A library that is not found, or found outside X, fails.
# Use it as LIBS=$(deb_libs ...), so that a failure stops the recipe.
deb_libs() {
	_x=$1
	shift
	_list=
	for _b in "$@"; do
		_o=$("$_x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path \
		    "$_x/lib/x86_64-linux-gnu:$_x/usr/lib/x86_64-linux-gnu" \
		    --list "$_b") || die "$_b: its libraries do not resolve"
		_list="$_list$_o
"
	done
	_libs=$(printf '%s' "$_list" | awk '$2 == "=>" && $3 !~ /^\// {
	    print "missing", $1; next } $2 == "=>" { print $3 }' | sort -u)
	while read -r _l _m; do
		case $_l in
		missing) die "a library is not in the packages: $_m" ;;
		"$_x"/*) echo "$_l" ;;
		*) die "$_l is not from the packages" ;;
		esac
	done <<EOF
$_libs
EOF
}
