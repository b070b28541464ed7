#!/bin/sh
# image-list and kernel-list in a pipe, against a private state root:
# ready entries from their manifests, broken ones shown with why, names
# that are not artifact names ignored, sorted by name.
. "${0%/*}/lib.sh"

X=$B/libexec/banger
STATE=$BANGER_ROOT/var/lib/banger

test_expect_success 'no images directory: an empty list' '
	printf "{}\n" | "$X/image-list" >out &&
	test "$(cat out)" = "{\"ok\":true,\"result\":{\"images\":[]}}"
'
test_expect_success 'images: ready and broken entries, sorted, bad names ignored' '
	mkdir -p "$STATE/images/zeta" "$STATE/images/alpha.1" "$STATE/images/.hidden" \
		"$STATE/images/mid" &&
	printf "{\"name\":\"zeta\",\"version\":\"v9\",\"files\":{\"rootfs.ext4\":{\"size\":1048576}},\"ssh\":\"dropbear\"}\n" \
		>"$STATE/images/zeta/manifest.json" &&
	printf "{\"version\":\"1\",\"files\":{\"a\":{\"size\":10},\"b\":{\"size\":5}}}\n" \
		>"$STATE/images/alpha.1/manifest.json" &&
	printf "[1]\n" >"$STATE/images/mid/manifest.json" &&
	printf "{}\n" | "$X/image-list" >out &&
	cat >want <<-\EOW &&
	{"ok":true,"result":{"images":[{"name":"alpha.1","state":"ready","version":"1","bytes":15},{"name":"mid","state":"broken","error":"manifest.json is not a JSON object"},{"name":"zeta","state":"ready","version":"v9","ssh":"dropbear","bytes":1048576}]}}
	EOW
	test_cmp want out
'
test_expect_success 'a directory without a manifest is broken, not hidden' '
	mkdir "$STATE/images/empty" &&
	printf "{}\n" | "$X/image-list" >out &&
	grep -q "{\"name\":\"empty\",\"state\":\"broken\",\"error\":\"no manifest.json\"}" out
'
test_expect_success 'kernels: the same, from kernels/' '
	mkdir -p "$STATE/kernels/debian-6.1" &&
	printf "{\"name\":\"debian-6.1\",\"kind\":\"kernel\",\"version\":\"6.1.0\",\"files\":{\"vmlinux\":{\"size\":3},\"initrd.img\":{\"size\":4}},\"source\":\"linux-image\"}\n" \
		>"$STATE/kernels/debian-6.1/manifest.json" &&
	printf "{}\n" | "$X/kernel-list" >out &&
	test "$(cat out)" = "{\"ok\":true,\"result\":{\"kernels\":[{\"name\":\"debian-6.1\",\"state\":\"ready\",\"version\":\"6.1.0\",\"source\":\"linux-image\",\"origin\":\"linux-image\",\"bytes\":7}]}}"
'
test_expect_success 'unknown request keys are refused (exit 100)' '
	must_fail 100 sh -c "printf \"{\\\"x\\\":1}\n\" | \"$X/image-list\"" >out &&
	grep -q "unknown request key" out
'
test_done
