#!/bin/sh
# image-import-oci (lib/oci-pull.c, lib/oci-registry.c, lib/oci-apply.c)
# in a pipe as root, against Debian's docker-registry with TLS from a
# test CA in a private network namespace (t/registry-fixture.sh), images
# built by umoci and skopeo or written by hand: a 3-layer image with a
# whiteout, an opaque directory, a hard link, a symlink, setuid and a
# file capability, checked inside the resulting ext4 with debugfs (no
# mount, no boot: t/2220 boots them); Docker v2 media types; an index;
# basic auth (401 without credentials, then success); the same digest
# again (a no-op); a newer tag replacing the image; and the refusals —
# a wrong digest, an unknown artifact type, a missing platform, layers
# escaping with ../ or through a symlink, a full disk — each a clear
# error with nothing registered; kill -9 mid-pull, then vm-prune.
. "${0%/*}/lib.sh"
. "$TOP/t/registry-fixture.sh"

X=$B/libexec/banger
if [ "$(id -u)" != 0 ]; then
	test_skip 'OCI pull' 'needs root (ip netns; umoci keeps owners and xattrs as root)'
	test_done
fi
for c in ip:iproute2 jq:jq debugfs:e2fsprogs setcap:libcap2-bin python3:python3; do
	command -v "${c%%:*}" >/dev/null 2>&1 && continue
	test_skip 'OCI pull' "needs ${c%%:*} (package ${c#*:})"
	test_done
done
if ! reg_tools; then
	test_skip 'OCI pull' "$REG_MISSING"
	test_done
fi
if [ ! -s "$B/share/banger/guest.tar" ]; then
	test_skip 'OCI pull' "no $B/share/banger/guest.tar: run make"
	test_done
fi

REG_NETNS=banger-t2210-$$
REG_DIR=$TRASH/reg
ip netns add "$REG_NETNS" || {
	test_expect_success 'create a network namespace' 'false'
	test_done
}
at_exit "ip netns pids $REG_NETNS | xargs -r kill -9; ip netns del $REG_NETNS"
at_exit 'reg_stop "$REG_DIR"; reg_stop "$TRASH/regauth"'
ip -n "$REG_NETNS" link set lo up
S=$BANGER_ROOT/var/lib/banger
CA=$REG_DIR/pki/ca.pem

# pull JSON-FIELDS: the helper in a pipe in the namespace; answer in out.
pull() {
	printf '{"v":1,%s}\n' "$1" |
	    ip netns exec "$REG_NETNS" "$X/image-import-oci" >out 2>err
}
# req NAME REF [MORE]: the request's fields.
req() { printf '"name":"%s","ref":"%s","ca_file":"%s"%s' "$1" "$2" "$CA" "${3:-}"; }
ok_answer() { tail -n 1 out | grep -q '^{"ok":true' || { cat out err >&2; return 1; }; }
err_says() {
	tail -n 1 out | grep -q '"ok":false' && tail -n 1 out | grep -q -- "$1" ||
	    { cat out err >&2; return 1; }
}
no_staging() {
	for f in "$S/images"/.pull-*; do
		[ -e "$f" ] && { echo "left: $f" >&2; return 1; }
	done
	return 0
}
no_lock() {
	for f in "$BANGER_ROOT/var/cache/banger/pulls"/oci-*.lock; do
		[ -e "$f" ] && { echo "left: $f" >&2; return 1; }
	done
	return 0
}
nothing_left() { test ! -e "$S/images/$1" && no_staging && no_lock; }
# dbg NAME CMD: debugfs's answer about image NAME's file system.
dbg() { debugfs -R "$2" "$S/images/$1/rootfs.ext4" 2>/dev/null; }
# links NAME PATH, mode NAME PATH (octal, with type), owner NAME PATH
links() { dbg "$1" "stat $2" | sed -n 's/^Links: \([0-9]*\).*/\1/p'; }
mode() { dbg "$1" "stat $2" | sed -n 's/.*Mode: *0*\([0-7]*\) .*/\1/p'; }
owner() { dbg "$1" "stat $2" | sed -n 's/^User: *\([0-9]*\) *Group: *\([0-9]*\).*/\1:\2/p'; }
exists() { dbg "$1" "stat $2" | grep -q '^Inode:'; }
# raw_image NAME TAG CONFIG LAYER...: a hand-made OCI image, pushed.
raw_image() {
	_n=$1 _t=$2 _cf=$3
	shift 3
	_cd=$(reg_put_blob "$_n" "$_cf") || return 1
	_layers=
	for _l in "$@"; do
		_ld=$(reg_put_blob "$_n" "$_l") || return 1
		_layers="$_layers${_layers:+,}{\"mediaType\":\"${RAW_LAYER_TYPE:-application/vnd.oci.image.layer.v1.tar+gzip}\",\"digest\":\"$_ld\",\"size\":$(stat -c %s "$_l")}"
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
	    "${RAW_CONFIG_TYPE:-application/vnd.oci.image.config.v1+json}" \
	    "$_cd" "$(stat -c %s "$_cf")" "$_layers" >"$TRASH/raw.json" &&
	    reg_put_manifest "$_n" "$_t" application/vnd.oci.image.manifest.v1+json "$TRASH/raw.json"
}
# config DIFFID...: an image config for linux/amd64 with those diff_ids.
config() {
	_ids=
	for _i in "$@"; do _ids="$_ids${_ids:+,}\"$_i\""; done
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=b c"],"WorkingDir":"/w","Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$_ids"
}
# tarball OUT.tgz PYTHON: a layer written by Python's tarfile (entries no
# tool writes on purpose); PYTHON adds members to t.
tarball() {
	python3 - "$1" "$2" <<'EOF' &&
import io, sys, tarfile
out, body = sys.argv[1], sys.argv[2]
raw = io.BytesIO()
t = tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT)
def add(name, data=b"x", **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(i, k, v)
    if i.type == tarfile.REGTYPE:
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
exec(body)
t.close()
open(out + ".tar", "wb").write(raw.getvalue())
EOF
	gzip -n -c "$1.tar" >"$1" &&
	    echo "sha256:$(sha256sum <"$1.tar" | cut -d' ' -f1)"
}

test_expect_success 'trees: hard link, symlink, setuid, capability, owners; a deletion; an opaque dir' '
	mkdir -p l1/etc/conf.d l1/bin l1/home/u l2/etc l3/etc/conf.d &&
	echo hello >l1/etc/hello && echo gone >l1/etc/gone &&
	echo a >l1/etc/conf.d/a && echo b >l1/etc/conf.d/b &&
	ln l1/etc/hello l1/etc/hard && ln -s hello l1/etc/sym &&
	echo suid >l1/bin/suid && chmod 4755 l1/bin/suid &&
	cp /bin/true l1/bin/raw && setcap cap_net_raw+ep l1/bin/raw &&
	echo mine >l1/home/u/f && chown -R 1234:5678 l1/home/u &&
	chmod 0640 l1/home/u/f &&
	: >l2/etc/.wh.gone && echo added >l2/etc/added &&
	: >l3/etc/conf.d/.wh..wh..opq && echo c >l3/etc/conf.d/c
'

test_expect_success 'the registry (TLS, no auth) and the images' '
	reg_start "$REG_DIR" 5000 none &&
	reg_image t/three:1 l1 l2 l3 &&
	REG_PUSH_FORMAT=v2s2 reg_image t/docker:1 l1 &&
	reg_image t/three:2 l1 l2
'

test_expect_success 'pull: installed, with its digest and source; nothing left over' '
	pull "$(req three localhost:5000/t/three:1)" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.name == \"three\" and .result.layers == 3 and .result.replaced == false" >/dev/null &&
	D=$(reg_manifest t/three 1 | sha256sum | cut -d" " -f1) &&
	jq -e --arg d "sha256:$D" ".oci_digest == \$d and .pulled_from == \"localhost:5000/t/three:1\" and .kind == \"image\" and .version == \"1\"" "$S/images/three/manifest.json" >/dev/null &&
	grep -q "\"event\":\"progress\".*\"unit\":\"bytes\"" out &&
	no_staging &&
	e2fsck -fn "$S/images/three/rootfs.ext4" >fsck.out 2>&1 || { cat fsck.out; false; }
'

test_expect_success 'the rootfs: whiteout gone, opaque dir replaced, added file' '
	! exists three /etc/gone &&
	exists three /etc/added &&
	exists three /etc/conf.d/c &&
	! exists three /etc/conf.d/a && ! exists three /etc/conf.d/b &&
	dbg three "cat /etc/hello" | grep -qx hello
'

test_expect_success 'the rootfs: hard link count, symlink, setuid, owners, modes' '
	test "$(links three /etc/hello)" = 2 &&
	test "$(dbg three "stat /etc/hello" | sed -n "s/^Inode: \([0-9]*\).*/\1/p")" = \
	    "$(dbg three "stat /etc/hard" | sed -n "s/^Inode: \([0-9]*\).*/\1/p")" &&
	dbg three "stat /etc/sym" | grep -q "Fast link dest: \"hello\"" &&
	test "$(mode three /bin/suid)" = 4755 &&
	test "$(owner three /home/u/f)" = 1234:5678 &&
	test "$(mode three /home/u/f)" = 640 &&
	test "$(owner three /etc/hello)" = 0:0
'

test_expect_success 'the rootfs: security.capability kept (ping-like file capability)' '
	dbg three "ea_list /bin/raw" >ea &&
	grep -q "security.capability" ea
'

test_expect_success 'the rootfs: banger-init linked in, the guest files under /.banger, passwd made, the config kept' '
	dbg three "stat /sbin/banger-init" | grep -q "Fast link dest: \"/.banger/banger-init\"" &&
	exists three /.banger/banger-init &&
	dbg three "cat /etc/passwd" | grep -qx "root:x:0:0:root:/root:/bin/sh" &&
	dbg three "cat /.banger/oci.json" >oci.json &&
	jq -e ".entrypoint == [] and .cmd == []" oci.json >/dev/null &&
	jq -e ".oci.env | type == \"array\"" "$S/images/three/manifest.json" >/dev/null
'

test_expect_success 'what an image has at /.banger is replaced by banger'"'"'s guest files' '
	id=$(tarball own.tgz "add(\".banger/stale\", b\"old\"); add(\".banger/banger-init\", b\"fake\")") &&
	config "$id" >own-config.json &&
	raw_image t/own 1 own-config.json own.tgz &&
	pull "$(req own localhost:5000/t/own:1)" &&
	ok_answer &&
	! exists own /.banger/stale &&
	test "$(dbg own "cat /.banger/banger-init" | wc -c)" -gt 4096 &&
	exists own /.banger/ssh/bin/dropbear &&
	e2fsck -fn "$S/images/own/rootfs.ext4" >fsck.out 2>&1 || { cat fsck.out; false; }
'

test_expect_success 'image-list: the origin is REF@sha256:<12 digits>' '
	printf "{}\n" | "$X/image-list" >list &&
	D=$(jq -r .oci_digest "$S/images/three/manifest.json") &&
	jq -e --arg o "localhost:5000/t/three:1@$(echo "$D" | cut -c1-19)" \
	    ".result.images[] | select(.name == \"three\") | .origin == \$o" list >/dev/null
'

test_expect_success 'the same digest again: a no-op (already), the image untouched' '
	before=$(stat -c %Y "$S/images/three/rootfs.ext4") &&
	pull "$(req three localhost:5000/t/three:1)" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.already == true" >/dev/null &&
	test "$(stat -c %Y "$S/images/three/rootfs.ext4")" = "$before"
'

test_expect_success 'a newer tag under the same name replaces the image' '
	pull "$(req three localhost:5000/t/three:2)" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.replaced == true and .result.layers == 2" >/dev/null &&
	exists three /etc/conf.d/a &&
	jq -e ".pulled_from == \"localhost:5000/t/three:2\"" "$S/images/three/manifest.json" >/dev/null &&
	no_staging
'

test_expect_success 'by digest; Docker v2 media types' '
	D=$(reg_manifest t/three 1 | sha256sum | cut -d" " -f1) &&
	pull "$(req bydigest "localhost:5000/t/three@sha256:$D")" &&
	ok_answer &&
	jq -e ".version == \"sha256:$(echo "$D" | cut -c1-12)\"" "$S/images/bydigest/manifest.json" >/dev/null &&
	pull "$(req docker localhost:5000/t/docker:1)" &&
	ok_answer &&
	test "$(links docker /etc/hello)" = 2
'

test_expect_success 'an index: its linux/amd64 entry is pulled; one without it is refused, listing what it has' '
	D=$(reg_manifest t/three 1 | sha256sum | cut -d" " -f1) &&
	N=$(reg_manifest t/three 1 | wc -c) &&
	for p in amd64 arm64; do
		printf "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\",\"size\":%s,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}}]}" \
		    "$D" "$N" "$p" >"idx-$p.json" &&
		reg_put_manifest t/three "idx-$p" application/vnd.oci.image.index.v1+json "idx-$p.json" || { return 1; }
	done &&
	pull "$(req fromindex localhost:5000/t/three:idx-amd64)" &&
	ok_answer &&
	must_fail 1 pull "$(req armonly localhost:5000/t/three:idx-arm64)" &&
	err_says "linux/arm64" &&
	err_says "linux/amd64" &&
	nothing_left armonly
'

test_expect_success 'refused: a tag that does not exist (404 naming the reference)' '
	must_fail 1 pull "$(req nope localhost:5000/t/three:nope)" &&
	err_says "localhost:5000/t/three:nope: the registry has no such image" &&
	nothing_left nope
'

test_expect_success 'refused: another artifact type than an image' '
	echo "{}" >helm.json &&
	tarball plain.tgz "add(\"f\")" >/dev/null &&
	RAW_CONFIG_TYPE=application/vnd.cncf.helm.config.v1+json raw_image t/helm 1 helm.json plain.tgz &&
	must_fail 100 pull "$(req helm localhost:5000/t/helm:1)" &&
	err_says "localhost:5000/t/helm:1" &&
	nothing_left helm
'

test_expect_success 'refused: a layer whose bytes are not its digest (the blob changed in the registry)' '
	id=$(tarball ok.tgz "add(\"etc/ok\", b\"ok\")") &&
	config "$id" >ok-config.json &&
	raw_image t/bad 1 ok-config.json ok.tgz &&
	L=$(sha256sum <ok.tgz | cut -d" " -f1) &&
	f=$(find "$REG_DIR/data" -path "*/blobs/sha256/*/$L/data") &&
	test -n "$f" &&
	python3 -c "import sys; b=bytearray(open(sys.argv[1],\"rb\").read()); b[-9]^=1; open(sys.argv[1],\"wb\").write(b)" "$f" &&
	must_fail 100 pull "$(req bad localhost:5000/t/bad:1)" &&
	err_says "sha256:$L" &&
	nothing_left bad
'

test_expect_success 'refused at apply time: ../ in a layer' '
	id=$(tarball up.tgz "add(\"../escape\", b\"no\")") &&
	config "$id" >up-config.json &&
	raw_image t/up 1 up-config.json up.tgz &&
	must_fail 100 pull "$(req up localhost:5000/t/up:1)" &&
	err_says "escape" &&
	nothing_left up
'

test_expect_success 'refused at apply time: a name with a newline is shown without it' '
	id=$(tarball nl.tgz "add(\"a/../../x\\nbanger: run this\", b\"no\")") &&
	config "$id" >nl-config.json &&
	raw_image t/nl 1 nl-config.json nl.tgz &&
	must_fail 100 pull "$(req nl localhost:5000/t/nl:1)" &&
	err_says "x?banger: run this" &&
	test "$(grep -c "^banger: run this" err)" = 0 &&
	nothing_left nl
'

test_expect_success 'refused at apply time: a later layer writing through an absolute symlink' '
	id1=$(tarball s1.tgz "add(\"etc\", type=tarfile.SYMTYPE, linkname=\"/tmp\")") &&
	id2=$(tarball s2.tgz "add(\"etc/x\", b\"no\")") &&
	config "$id1" "$id2" >s-config.json &&
	raw_image t/sym 1 s-config.json s1.tgz s2.tgz &&
	must_fail 100 pull "$(req sym localhost:5000/t/sym:1)" &&
	err_says "symlink" &&
	nothing_left sym &&
	test ! -e /tmp/x
'

test_expect_success 'refused: a full disk (--size too small), naming the fix' '
	id=$(tarball big.tgz "[add(\"d%d/f%d\" % (i // 1000, i), b\"\") for i in range(12000)]") &&
	config "$id" >big-config.json &&
	raw_image t/big 1 big-config.json big.tgz &&
	must_fail 100 pull "$(req big localhost:5000/t/big:1 ",\"size\":67108864")" &&
	err_says "too small" &&
	err_says "size" &&
	nothing_left big
'

test_expect_success 'basic auth: 401 without credentials (exit 1, naming the fix), then success with them' '
	REG_DIR=$TRASH/regauth reg_start "$TRASH/regauth" 5001 basic &&
	REG_DIR=$TRASH/regauth reg_image t/private:1 l1 &&
	CA=$TRASH/regauth/pki/ca.pem &&
	must_fail 1 pull "$(req private localhost:5001/t/private:1)" &&
	err_says "wants a user name and password" &&
	nothing_left private &&
	must_fail 1 pull "$(req private localhost:5001/t/private:1 ",\"auth\":\"$(printf banger:wrong | base64)\"")" &&
	err_says "refuses the credentials" &&
	pull "$(req private localhost:5001/t/private:1 ",\"auth\":\"$(printf banger:secret | base64)\"")" &&
	ok_answer &&
	! grep -r "$(printf banger:secret | base64)" "$S/images/private" err
'

test_expect_success 'a zstd layer' '
	id=$(tarball z.tgz "add(\"etc/z\", b\"zstd\")") &&
	zstd -q -c z.tgz.tar >z.tzst &&
	config "$id" >z-config.json &&
	RAW_LAYER_TYPE=application/vnd.oci.image.layer.v1.tar+zstd raw_image t/z 1 z-config.json z.tzst &&
	pull "$(req zst localhost:5000/t/z:1)" &&
	ok_answer &&
	dbg zst "cat /etc/z" | grep -qx zstd
'

# slow_pull NAME: loopback at 10 Mbit/s (tc tbf) and a 16 MiB layer of
# random bytes pushed as t/NAME:1, so a pull of it lasts about 14 s.
slow_pull() {
	id=$(tarball "$1.tgz" "import os; add(\"rnd\", os.urandom(16 << 20))") &&
	    config "$id" >"$1-config.json" &&
	    raw_image "t/$1" 1 "$1-config.json" "$1.tgz" &&
	    ip netns exec "$REG_NETNS" tc qdisc replace dev lo root tbf rate 10mbit burst 64kb latency 50ms
}
unslow() { ip netns exec "$REG_NETNS" tc qdisc del dev lo root 2>/dev/null || :; }
# first_progress: wait until out has a progress event.
first_progress() {
	n=0
	while ! grep -q "\"event\":\"progress\"" "$1" && [ $n -lt 400 ]; do
		sleep 0.05; n=$((n + 1))
	done
	grep -q "\"event\":\"progress\"" "$1"
}

test_expect_success 'the client hangs up (^C): the pull stops, nothing installed' '
	slow_pull hup &&
	{ printf "{\"v\":1,%s}\n" "$(req hup localhost:5000/t/hup:1)" |
	    ip netns exec "$REG_NETNS" "$X/image-import-oci" 2>hup.err | head -c 1 >/dev/null & } &&
	n=0 &&
	while ! grep -q "the client went away" hup.err && [ $n -lt 600 ]; do
		sleep 0.05; n=$((n + 1))
	done &&
	wait &&
	unslow &&
	grep -q "the client went away: the pull stopped" hup.err &&
	nothing_left hup
'

test_expect_success 'the registry restarts mid-layer: the pull goes on from where it stopped (Range)' '
	slow_pull cut &&
	{ printf "{\"v\":1,%s}\n" "$(req cut localhost:5000/t/cut:1)" |
	    ip netns exec "$REG_NETNS" "$X/image-import-oci" >cut.out 2>cut.err & } &&
	pid=$! &&
	first_progress cut.out &&
	reg_stop "$REG_DIR" &&
	reg_start "$REG_DIR" 5000 none &&
	unslow &&
	wait "$pid" &&
	tail -n 1 cut.out | grep -q "^{\"ok\":true" &&
	grep -q "going on from byte [1-9]" cut.out &&
	exists cut /rnd
'

# The kill must land mid-pull: loopback is slowed to 40 Mbit/s for it
# (tc tbf), so the 24 MiB layer takes about 5 s to arrive.
test_expect_success 'kill -9 mid-pull: nothing registered; vm-prune removes the staging' '
	id=$(tarball slow.tgz "import os; add(\"rnd\", os.urandom(24 << 20))") &&
	config "$id" >slow-config.json &&
	raw_image t/slow 1 slow-config.json slow.tgz &&
	ip netns exec "$REG_NETNS" tc qdisc add dev lo root tbf rate 40mbit burst 64kb latency 50ms &&
	{ printf "{\"v\":1,%s}\n" "$(req slow localhost:5000/t/slow:1)" |
	    ip netns exec "$REG_NETNS" "$X/image-import-oci" >out 2>err & } &&
	pid=$! &&
	n=0 &&
	while ! grep -q "\"event\":\"progress\"" out && [ $n -lt 400 ]; do
		sleep 0.05; n=$((n + 1))
	done &&
	ls "$S/images"/.pull-slow-*/rootfs.ext4 &&
	kill -9 "$pid" &&
	{ wait "$pid" || :; } &&
	ip netns exec "$REG_NETNS" tc qdisc del dev lo root &&
	test ! -e "$S/images/slow" &&
	ls -d "$S/images"/.pull-slow-* &&
	printf "{}\n" | "$X/vm-prune" >pruned &&
	nothing_left slow
'

test_done
