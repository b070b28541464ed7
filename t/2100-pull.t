#!/bin/sh
# image-pull and kernel-pull (lib/pull.c), run in a pipe as root against
# a real HTTPS server (t/https-server.py, Python's ssl) on loopback in a
# private network namespace, with a test CA made here: bundles pulled
# and installed; resume after a cut connection (Range) and after a
# kill; a wrong sha256, a wrong CA, a wrong host name, a redirect to
# http, an oversized header, a truncated chunked body, unsafe members,
# a full disk — each refused with its message and nothing registered;
# kill -9 at several points, then vm-prune, leaves nothing.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
NS=banger-t2100-$$

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null ||
    ! test -x /usr/bin/python3 || ! command -v openssl >/dev/null; then
	test_skip 'pulls over https' 'needs root, ip, /usr/bin/python3 and openssl'
	test_done
fi
ip netns add "$NS" || { test_expect_success 'create a network namespace' 'false'; test_done; }
at_exit "ip netns pids $NS | xargs -r kill -9; ip netns del $NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up

# ---- the CA, the server's certificates, the bundles ---------------------

. "$TOP/t/pull-fixture.sh"
W=$TRASH/www
mkdir -p "$W"
pull_ca "$TRASH/pki" localhost wrong.example ||
    { test_expect_success 'make the test CA' 'false'; test_done; }

# A small image: a 64 MiB sparse rootfs with 12 MiB of data.
mkdir -p "$TRASH/img"
truncate -s 64M "$TRASH/img/rootfs.ext4"
for i in 0 1 2; do
	head -c 4194304 /dev/urandom |
	    dd of="$TRASH/img/rootfs.ext4" bs=1M seek=$((i * 20)) conv=notrunc status=none
done
printf '{"name":"small","kind":"image","version":"1","files":{"rootfs.ext4":{"size":%s,"sha256":"%s"}}}\n' \
    "$(stat -c %s "$TRASH/img/rootfs.ext4")" "$(sha256sum "$TRASH/img/rootfs.ext4" | cut -d' ' -f1)" \
    >"$TRASH/img/manifest.json"
banger image bundle small "$W/small.tar.zst" --from "$TRASH/img" --level 1 --json >"$TRASH/small.json" 2>"$TRASH/bundle.err"
SHA=$(jq -r .sha256 "$TRASH/small.json")
SIZE=$(jq -r .size "$TRASH/small.json")
banger kernel bundle k "$W/kernel.tar.zst" --from "$B/images/kernel" --level 1 --json >"$TRASH/k.json" 2>>"$TRASH/bundle.err"
KSHA=$(jq -r .sha256 "$TRASH/k.json")
KSIZE=$(jq -r .size "$TRASH/k.json")

# ---- the servers ------------------------------------------------------------

# serve NAME CERT: t/https-server.py on W, as localhost, with CERT; its
# port in $TRASH/NAME.port, its requests in $TRASH/NAME.log.
serve() {
	in_ns /usr/bin/python3 "$TOP/t/https-server.py" --dir "$W" \
	    --cert "$TRASH/pki/$2.pem" --key "$TRASH/pki/$2.key" \
	    --port-file "$TRASH/$1.port" --log "$TRASH/$1.log" \
	    >"$TRASH/$1.out" 2>&1 &
	n=0
	while [ ! -s "$TRASH/$1.port" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
	test -s "$TRASH/$1.port"
}
serve good localhost || { test_expect_success 'start the https server' 'false'; test_done; }
serve wrong wrong.example || { test_expect_success 'start the second server' 'false'; test_done; }
P=$(cat "$TRASH/good.port")
PW=$(cat "$TRASH/wrong.port")
U=https://localhost:$P

# pull VERB JSON-FIELDS [ROOT]: the helper in a pipe, in the namespace,
# on state root ROOT (default $BANGER_ROOT); the answer in out.
pull() {
	printf '{%s}\n' "$2" |
	    in_ns env BANGER_ROOT="${3:-$BANGER_ROOT}" "$X/$1" >out 2>err
}
img() { printf '"name":"%s","url":"%s","sha256":"%s","size":%s,"ca_file":"%s"' \
    "$1" "$2" "${3:-$SHA}" "$SIZE" "$TRASH/pki/ca.pem"; }
S=$BANGER_ROOT/var/lib/banger
# nothing_left NAME: no image NAME, no staging directory, no part file.
nothing_left() {
	test ! -e "$S/images/$1" && no_staging images && no_part "$BANGER_ROOT"
}
no_staging() {
	for f in "$S/$1"/.pull-*; do
		[ -e "$f" ] && { echo "left: $f" >&2; return 1; }
	done
	return 0
}
no_part() {
	for f in "$1/var/cache/banger/pulls"/*.part; do
		[ -e "$f" ] && { echo "left: $f" >&2; return 1; }
	done
	return 0
}
ok_answer() { grep -q '^{"ok":true' out || { cat out err >&2; return 1; }; }
err_says() { grep -q '"ok":false' out && grep -q -- "$1" out || { cat out >&2; return 1; }; }

# ---- pulls that work ----------------------------------------------------------

test_expect_success 'image-pull installs the bundle, sparse, byte for byte' '
	pull image-pull "$(img small "$U/small.tar.zst")" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.name == \"small\" and .result.resumed == false" >/dev/null &&
	cmp "$TRASH/img/rootfs.ext4" "$S/images/small/rootfs.ext4" &&
	test "$(du -k "$S/images/small/rootfs.ext4" | cut -f1)" -lt 20000 &&
	jq -e ".pulled_from == \"$U/small.tar.zst\" and .bundle_sha256 == \"$SHA\"" \
	    "$S/images/small/manifest.json" >/dev/null &&
	grep -q "\"event\":\"progress\".*\"unit\":\"bytes\"" out &&
	nothing_left nosuch &&
	test -z "$(ls -A "$BANGER_ROOT/var/cache/banger/pulls")"
'

test_expect_success 'image-list shows where it came from' '
	printf "{}\n" | "$X/image-list" >out &&
	jq -e ".result.images[0].origin == \"$U/small.tar.zst\"" out >/dev/null
'

test_expect_success 'the same bundle again is a no-op; another under that name is refused' '
	pull image-pull "$(img small "$U/small.tar.zst")" &&
	tail -n 1 out | jq -e ".result.already == true" >/dev/null &&
	{ pull image-pull "$(img small "$U/small.tar.zst" "$KSHA")"; st=$?; } &&
	test "$st" = 1 && err_says "installed already, from another source"
'

test_expect_success 'kernel-pull installs a kernel bundle' '
	pull kernel-pull "\"name\":\"k1\",\"url\":\"$U/kernel.tar.zst\",\"sha256\":\"$KSHA\",\"size\":$KSIZE,\"ca_file\":\"$TRASH/pki/ca.pem\"" &&
	ok_answer &&
	cmp "$B/images/kernel/vmlinux" "$S/kernels/k1/vmlinux" &&
	cmp "$B/images/kernel/initrd.img" "$S/kernels/k1/initrd.img"
'

test_expect_success 'an image bundle is not a kernel: refused, nothing left' '
	{ pull kernel-pull "\"name\":\"k2\",\"url\":\"$U/small.tar.zst\",\"sha256\":\"$SHA\",\"ca_file\":\"$TRASH/pki/ca.pem\""; st=$?; } &&
	test "$st" = 100 && err_says "not a kernel bundle" &&
	test ! -e "$S/kernels/k2" && no_staging kernels
'

test_expect_success 'a cut connection is resumed with Range in the same pull' '
	: >"$TRASH/good.log" &&
	pull image-pull "$(img cut1 "$U/cut/small.tar.zst")" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.resumed == true" >/dev/null &&
	cmp "$TRASH/img/rootfs.ext4" "$S/images/cut1/rootfs.ext4" &&
	grep "/cut/small.tar.zst" "$TRASH/good.log" >reqs &&
	test "$(wc -l <reqs)" -ge 2 &&
	sed -n 2p reqs | grep -q "|bytes=[1-9][0-9]*-$" &&
	nothing_left nosuch
'

# ---- refusals: each with its message, nothing registered -----------------

test_expect_success 'a wrong sha256: refused, nothing left' '
	{ pull image-pull "$(img bad1 "$U/small.tar.zst" "$KSHA")"; st=$?; } &&
	test "$st" = 100 && err_says "not the bundle the catalog means" &&
	nothing_left bad1
'

test_expect_success 'a CA we do not trust: refused, nothing left' '
	{ pull image-pull "\"name\":\"bad2\",\"url\":\"$U/small.tar.zst\",\"sha256\":\"$SHA\",\"ca_file\":\"$TRASH/pki/other.pem\""; st=$?; } &&
	test "$st" = 100 && err_says "not signed by a CA" && err_says "localhost" &&
	nothing_left bad2
'

test_expect_success 'a certificate for another host name: refused, nothing left' '
	{ pull image-pull "$(img bad3 "https://localhost:$PW/small.tar.zst")"; st=$?; } &&
	test "$st" = 100 && err_says "localhost" &&
	nothing_left bad3
'

test_expect_success 'a redirect to http: refused, nothing left' '
	{ pull image-pull "$(img bad4 "$U/redirect-http/small.tar.zst")"; st=$?; } &&
	test "$st" = 100 && err_says "http://" &&
	nothing_left bad4
'

test_expect_success 'an oversized header: refused, nothing left' '
	{ pull image-pull "$(img bad5 "$U/bighdr")"; st=$?; } &&
	test "$st" != 0 && err_says "header" &&
	nothing_left bad5
'

test_expect_success 'a truncated chunked body: refused after retries, nothing left' '
	{ pull image-pull "\"name\":\"bad6\",\"url\":\"$U/truncchunk/small.tar.zst\",\"sha256\":\"$SHA\",\"ca_file\":\"$TRASH/pki/ca.pem\""; st=$?; } &&
	test "$st" = 111 && err_says "truncated" && err_says "run the same command again to resume" &&
	test ! -e "$S/images/bad6" && no_staging images &&
	rm -f "$BANGER_ROOT/var/cache/banger/pulls/$SHA.part"
'

test_expect_success 'a 404: not_found naming the URL' '
	{ pull image-pull "$(img bad7 "$U/nosuch.tar.zst")"; st=$?; } &&
	test "$st" = 1 && err_says "404" && err_says "nosuch.tar.zst" &&
	nothing_left bad7
'

test_expect_success 'an http:// URL is a bad request, before anything is made' '
	{ pull image-pull "$(img bad8 "http://localhost:$P/small.tar.zst")"; st=$?; } &&
	test "$st" = 100 && err_says "https:// URL" &&
	nothing_left bad8
'

# Unsafe bundles, made with GNU tar: each kind of member refused by the
# pull (lib/bundle.c's own test covers every rule; this is the pipeline).
mkdir -p "$TRASH/evil/d"
(
	cd "$TRASH/evil" || exit 1
	echo data >rootfs.ext4
	printf '{"name":"e","kind":"image","version":"1","files":{"rootfs.ext4":{"size":5,"sha256":"%s"}}}' \
	    "$(sha256sum rootfs.ext4 | cut -d" " -f1)" >manifest.json
	ln -s /etc/passwd link
	tar -cf - manifest.json link | zstd -q >"$W/evil-symlink.tar.zst"
	tar -cf - manifest.json --transform 's|^rootfs|../rootfs|' rootfs.ext4 |
	    zstd -q >"$W/evil-dotdot.tar.zst"
	tar -cf - manifest.json -P --transform 's|^rootfs.ext4|/tmp/rootfs.ext4|' rootfs.ext4 |
	    zstd -q >"$W/evil-abs.tar.zst"
	tar -cf - manifest.json d | zstd -q >"$W/evil-dir.tar.zst"
	cp rootfs.ext4 extra && tar -cf - manifest.json rootfs.ext4 extra | zstd -q >"$W/evil-extra.tar.zst"
)
for kind in symlink dotdot abs dir extra; do
	f=$W/evil-$kind.tar.zst
	test_expect_success "an unsafe bundle ($kind): refused, nothing left" "
		{ pull image-pull \"\$(img evil \"$U/evil-$kind.tar.zst\" \"$(sha256sum "$f" | cut -d' ' -f1)\" | sed 's/\"size\":[0-9]*/\"size\":$(stat -c %s "$f")/')\"; st=\$?; } &&
		test \"\$st\" = 100 && err_says 'refused member' &&
		nothing_left evil && test ! -e /tmp/rootfs.ext4
	"
done

test_expect_success 'a full disk: a clear error, nothing registered; the download kept for the next pull, or for vm prune' '
	F=$TRASH/full && mkdir -p "$F/var/lib/banger/images" &&
	printf "{%s}\n" "$(img full "$U/small.tar.zst")" >req &&
	{ in_ns sh -c "mount -t tmpfs -o size=6m tmpfs $F/var/lib/banger/images &&
	    BANGER_ROOT=$F $X/image-pull <req >out 2>err;
	    st=\$?; ls -A $F/var/lib/banger/images >left; exit \$st"; st=$?; } &&
	test "$st" = 111 && err_says "No space left on device" && err_says "free some space" &&
	test ! -s left &&
	test -s "$F/var/cache/banger/pulls/$SHA.part" &&
	printf "{}\n" | in_ns env BANGER_ROOT="$F" "$X/vm-prune" >pruned &&
	grep -q "cache/pulls/$SHA.part" pruned && no_part "$F"
'

# ---- kill -9, resume across pulls, prune --------------------------------------

# killed_at BYTES NAME: a pull of NAME, killed with SIGKILL once its
# part file holds BYTES (started with ip netns exec itself, not in_ns:
# a function would put a subshell between $! and the helper).  Loopback is slowed to 40 Mbit/s meanwhile
# (tc in the test's namespace), so the pull is caught in the middle.
killed_at() {
	printf '{%s}\n' "$(img "$2" "$U/small.tar.zst")" >req &&
	in_ns tc qdisc add dev lo root tbf rate 40mbit burst 256kb latency 100ms &&
	{ ip netns exec "$NS" env BANGER_ROOT="$BANGER_ROOT" "$X/image-pull" <req >out 2>err & } &&
	pid=$! &&
	n=0 &&
	while [ "$(stat -c %s "$BANGER_ROOT/var/cache/banger/pulls/$SHA.part" 2>/dev/null || echo 0)" -lt "$1" ] &&
	    [ $n -lt 600 ]; do sleep 0.02; n=$((n + 1)); done &&
	kill -9 $pid && { wait $pid; in_ns tc qdisc del dev lo root; }
}

for at in 1 1000000 $((SIZE / 2)) $((SIZE - 100000)); do
	test_expect_success "kill -9 at $at bytes: nothing registered; vm-prune removes the rest" "
		killed_at $at kill$at &&
		test ! -e \"\$S/images/kill$at\" &&
		printf '{}\n' | in_ns \"\$X/vm-prune\" >pruned &&
		grep -q '\"ok\":true' pruned &&
		nothing_left kill$at
	"
done

test_expect_success 'a killed pull is resumed by the next one (Range)' '
	killed_at $((SIZE / 2)) res &&
	have=$(stat -c %s "$BANGER_ROOT/var/cache/banger/pulls/$SHA.part") &&
	test "$have" -gt 0 &&
	: >"$TRASH/good.log" &&
	pull image-pull "$(img res "$U/small.tar.zst")" &&
	ok_answer &&
	{ grep -q "resuming the download of image res at $have of $SIZE bytes" out || { cat out >&2; false; }; } &&
	{ grep -q "/small.tar.zst|bytes=$have-$" "$TRASH/good.log" || { cat "$TRASH/good.log" >&2; false; }; } &&
	cmp "$TRASH/img/rootfs.ext4" "$S/images/res/rootfs.ext4" &&
	printf "{}\n" | in_ns "$X/vm-prune" >pruned &&
	jq -e ".result.leftovers_removed == [\"images/.pull-res-$pid\"]" pruned >/dev/null &&
	nothing_left nosuch
'

test_expect_success 'a hard link planted at the part file is replaced, never written through' '
	echo precious >"$TRASH/precious" &&
	mkdir -p "$BANGER_ROOT/var/cache/banger/pulls" &&
	ln "$TRASH/precious" "$BANGER_ROOT/var/cache/banger/pulls/$SHA.part" &&
	pull image-pull "$(img hl "$U/small.tar.zst")" &&
	ok_answer &&
	test "$(cat "$TRASH/precious")" = precious &&
	cmp "$TRASH/img/rootfs.ext4" "$S/images/hl/rootfs.ext4"
'

test_expect_success 'a part file that is not this bundle: resumed, refused, pulled again from 0' '
	head -c 100000 /dev/urandom >"$BANGER_ROOT/var/cache/banger/pulls/$SHA.part" &&
	pull image-pull "$(img redo "$U/small.tar.zst")" &&
	ok_answer &&
	grep -q "resuming the download of image redo at 100000" out &&
	grep -q "was not this bundle; starting over" out &&
	cmp "$TRASH/img/rootfs.ext4" "$S/images/redo/rootfs.ext4" &&
	nothing_left nosuch
'

test_expect_success 'vm-prune: a staging directory without its lock goes when its PID is gone' '
	mkdir "$S/images/.pull-x-4194303" "$S/images/.pull-y-$$" &&
	printf "{}\n" | in_ns "$X/vm-prune" >pruned &&
	jq -e ".result.leftovers_removed == [\"images/.pull-x-4194303\"]" pruned >/dev/null &&
	test -d "$S/images/.pull-y-$$" && rmdir "$S/images/.pull-y-$$"
'

test_expect_success 'kernel-delete: refused while a VM boots with it, then done' '
	mkdir -p "$S/vms/web" &&
	echo "{\"name\":\"web\",\"kernel\":\"k1\"}" >"$S/vms/web/vm.json" &&
	{ printf "{\"name\":\"k1\"}\n" | "$X/kernel-delete" >out; st=$?; } &&
	test "$st" = 1 && err_says "used by web" && test -d "$S/kernels/k1" &&
	rm -rf "$S/vms/web" &&
	printf "{\"name\":\"k1\"}\n" | "$X/kernel-delete" >out &&
	ok_answer && test ! -e "$S/kernels/k1"
'

test_done
