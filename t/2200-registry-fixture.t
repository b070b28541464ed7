#!/bin/bash
# The registry fixture (t/registry-fixture.sh) that the OCI import tests
# use: docker-registry with TLS and basic auth in a private network
# namespace (banger-t2200-PID, loopback only), images built with umoci and
# pushed with skopeo, checked with curl: auth, manifest, blob digests,
# whiteouts, an opaque directory, and what a layer keeps (hard link,
# symlink, setuid, security.capability).
. "${0%/*}/lib.sh"
. "$TOP/t/registry-fixture.sh"

if [ "$(id -u)" != 0 ]; then
	test_skip 'registry fixture' 'needs root (ip netns; umoci keeps owners and xattrs as root)'
	test_done
fi
for c in ip:iproute2 jq:jq getcap:libcap2-bin sha256sum:coreutils timeout:coreutils; do
	command -v "${c%%:*}" >/dev/null 2>&1 && continue
	test_skip 'registry fixture' "needs ${c%%:*} (package ${c#*:})"
	test_done
done
if ! reg_tools; then
	test_skip 'registry fixture' "$REG_MISSING"
	test_done
fi

REG_NETNS=banger-t2200-$$
REG_DIR=$TRASH/reg
ip netns add "$REG_NETNS" || {
	test_expect_success 'create a network namespace' 'false'
	test_done
}
at_exit "ip netns del $REG_NETNS"
at_exit 'reg_stop "$REG_DIR"'
ip -n "$REG_NETNS" link set lo up

OCI=application/vnd.oci.image.manifest.v1+json
V2=application/vnd.docker.distribution.manifest.v2+json

# blobs_ok NAME MANIFEST: the config and every layer, downloaded, hash to
# their digests.
blobs_ok() {
	for d in $(jq -r '.config.digest, .layers[].digest' "$2"); do
		reg_blob "$1" "$d" >blob || return 1
		got=sha256:$(sha256sum <blob | cut -d' ' -f1)
		[ "$got" = "$d" ] || {
			echo "blob $d hashes to $got"
			return 1
		}
	done
}
# layer NAME N: layer N (from 0) of NAME:1, to stdout.
layer() { reg_blob "$1" "$(reg_manifest "$1" 1 | jq -r ".layers[$2].digest")"; }

test_expect_success 'trees: hard link, symlink, setuid, capability; a deletion; an opaque dir' '
	mkdir -p l1/etc/conf.d l1/bin l2/etc l3/etc/conf.d &&
	echo hello >l1/etc/hello && echo gone >l1/etc/gone &&
	echo a >l1/etc/conf.d/a && echo b >l1/etc/conf.d/b &&
	ln l1/etc/hello l1/etc/hard && ln -s hello l1/etc/sym &&
	echo suid >l1/bin/suid && chmod 4755 l1/bin/suid &&
	cp /bin/true l1/bin/raw && setcap cap_net_raw+ep l1/bin/raw &&
	: >l2/etc/.wh.gone && echo added >l2/etc/added &&
	: >l3/etc/conf.d/.wh..wh..opq && echo c >l3/etc/conf.d/c
'

test_expect_success 'the registry starts with basic auth, TLS on 127.0.0.1 in the namespace' '
	reg_start "$REG_DIR" 5000 basic &&
	kill -0 "$(cat "$REG_DIR/registry.pid")" &&
	[ "$(readlink "/proc/$(cat "$REG_DIR/registry.pid")/exe")" = "$REG_BIN" ] &&
	[ "$(ip netns identify "$(cat "$REG_DIR/registry.pid")")" = "$REG_NETNS" ] &&
	! ss -Hltn "sport = :5000" | grep -q .
'

test_expect_success '/v2/ is 401 without credentials, 200 with them, 401 with bad ones' '
	[ "$(reg_curl /v2/ -o /dev/null -w "%{http_code}")" = 401 ] &&
	[ "$(reg_curl /v2/ -o /dev/null -w "%{http_code}" -u banger:secret)" = 200 ] &&
	[ "$(reg_curl /v2/ -o /dev/null -w "%{http_code}" -u banger:wrong)" = 401 ]
'

test_expect_success 'a 2-layer image is built and pushed (OCI: the Content-Type; umoci writes no mediaType field)' '
	reg_image fixture/two:1 l1 l2 &&
	reg_manifest fixture/two 1 -D m.hdr >m.json &&
	grep -qix "content-type: $OCI.\{0,1\}" m.hdr &&
	jq -e "(.layers | length) == 2" m.json >/dev/null || {
		cat m.json
		false
	}
'

test_expect_success 'its config and layer blobs hash to their digests' '
	blobs_ok fixture/two m.json
'

test_expect_success 'layer 2 holds the whiteout etc/.wh.gone and the new file' '
	layer fixture/two 1 | tar -tzf - >l2.list &&
	grep -qx "etc/.wh.gone" l2.list &&
	grep -qx "etc/added" l2.list &&
	! grep -qx "etc/gone" l2.list
'

test_expect_success 'layer 1 keeps a hard link, a symlink, setuid and security.capability' '
	layer fixture/two 0 >l1.tgz &&
	tar -tvzf l1.tgz >l1.list &&
	grep -Eq "^h.* etc/(hard link to etc/hello|hello link to etc/hard)$" l1.list &&
	grep -q "^l.* etc/sym -> hello$" l1.list &&
	grep -q "^-rwsr-xr-x .* bin/suid$" l1.list &&
	mkdir x1 &&
	tar --xattrs --xattrs-include="*" -xzf l1.tgz -C x1 &&
	getcap x1/bin/raw | grep -q "cap_net_raw[=+]ep" &&
	[ "$(stat -c %i x1/etc/hard)" = "$(stat -c %i x1/etc/hello)" ]
'

test_expect_success 'an opaque directory goes in verbatim (umoci raw add-layer)' '
	reg_image fixture/opq:1 l1 l3 &&
	reg_manifest fixture/opq 1 >o.json &&
	jq -e ".layers | length == 2" o.json >/dev/null &&
	blobs_ok fixture/opq o.json &&
	layer fixture/opq 1 | tar -tzf - >l3.list &&
	grep -qx "./etc/conf.d/.wh..wh..opq" l3.list &&
	grep -qx "./etc/conf.d/c" l3.list
'

test_expect_success 'REG_PUSH_FORMAT=v2s2 pushes Docker v2 media types' '
	REG_PUSH_FORMAT=v2s2 reg_image fixture/docker:1 l1 &&
	reg_manifest fixture/docker 1 -D d.hdr >d.json &&
	grep -qix "content-type: $V2.\{0,1\}" d.hdr &&
	jq -e --arg t "$V2" ".mediaType == \$t and (.layers | length) == 1" d.json >/dev/null &&
	blobs_ok fixture/docker d.json
'

test_expect_success 'reg_stop stops the registry' '
	pid=$(cat "$REG_DIR/registry.pid") &&
	reg_stop "$REG_DIR" &&
	! kill -0 "$pid" 2>/dev/null
'

test_done
