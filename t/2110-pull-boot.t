#!/bin/bash
# Pulling for real, through the whole chain: a fresh state (no kernel,
# no image: t/with-sandbox with BANGER_SANDBOX_EMPTY=1), a catalog file
# that names the kernel and test image bundles (make bundles' format)
# served over HTTPS on loopback in the sandbox's namespace with a test
# CA.  `vm run` pulls both, says so, and boots (QEMU TCG); image list
# and kernel list show where they came from; image pull, kernel pull
# and their --json events; the built-in catalog's unpublished entries
# say how to build locally.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	. "$TOP/t/lib.sh"
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null || ! test -x /usr/bin/python3 ||
	    ! command -v openssl >/dev/null; then
		test_skip 'vm run pulls what it needs' 'needs root, QEMU, python3, openssl and make images'
		test_done
	fi
	# The CA, the bundles and the catalog, made here as root; the
	# sandbox's root hook serves them and hands the owner the catalog
	# and the CA.
	. "$TOP/t/pull-fixture.sh"
	D=$TRASH/pull
	pull_ca "$D/pki" localhost || { test_expect_success 'make the test CA' 'false'; test_done; }
	BUNDLE_LEVEL=1 sh "$TOP/images/bundles.sh" "$D/www" https://localhost:8443 >"$D/bundles.log" 2>&1 ||
	    { sed 's/^/# /' "$D/bundles.log"; test_expect_success 'make bundles' 'false'; test_done; }
	chmod -R a+rX "$D"
	export BANGER_SANDBOX_EMPTY=1
	BANGER_SANDBOX_ROOT_SETUP=$(pull_hook "$D" "$D/www")
	export BANGER_SANDBOX_ROOT_SETUP
	"$TOP/t/with-sandbox" "$0" "$@"
	exit $?  # lib.sh's trap removes $TRASH
fi
. "${0%/*}/lib.sh"

P=$BANGER_SANDBOX_DIR/pull
# At the top: after a [table] header, keys would be the table's.
CFG=$HOME/.config/banger/config.toml
{ printf 'catalog_file = "%s"\nca_file = "%s"\n' "$P/catalog.json" "$P/ca.pem"; cat "$CFG"; } >"$CFG.new" &&
    mv "$CFG.new" "$CFG"
K=debian-6.1-amd64

test_expect_success 'a fresh install has no image and no kernel' '
	banger image list >out && test "$(wc -l <out)" = 1 &&
	banger kernel list >out && test "$(wc -l <out)" = 1
'

test_expect_success 'vm run pulls the image and its kernel, says so, and boots' '
	{ banger vm run --rm --name p1 -- uname -r >out 2>err || { cat err; false; }; } &&
	grep -q "^6\.1\." out &&
	grep -q "image test is not on this host: pulling it from the catalog" err &&
	grep -q "pulling image test from https://localhost:8443/test.tar.zst" err &&
	grep -q "kernel $K is not on this host: pulling it" err &&
	grep -q "pulling image test: [0-9]*0% (" err &&
	grep -q "pulling kernel $K: done" err
'

test_expect_success 'image list and kernel list say where each came from' '
	banger image list >out &&
	grep -q "^test  *ready  .*  https://localhost:8443/test.tar.zst$" out &&
	banger kernel list >out &&
	grep -q "^$K  *ready  .*  https://localhost:8443/$K.tar.zst$" out &&
	banger --json image list | jq -e ".images[0].kernel == \"$K\"" >/dev/null
'

test_expect_success 'image pull of what is installed is a no-op' '
	banger image pull test >out 2>err &&
	grep -q "installed already" out
'

test_expect_success 'image pull --json: progress events, then the result' '
	banger image delete test >/dev/null &&
	banger image pull --json test >out 2>err &&
	head -n 1 out | jq -e ".event == \"progress\" and .unit == \"bytes\" and .total > 0" >/dev/null &&
	tail -n 1 out | jq -e ".name == \"test\" and .kernel == \"$K\"" >/dev/null &&
	test ! -s err
'

test_expect_success 'kernel delete refuses a kernel a VM boots with' '
	banger vm create --name p2 >/dev/null 2>&1 &&
	must_fail 1 banger kernel delete $K 2>err &&
	grep -q "used by p2" err &&
	banger vm delete p2 >/dev/null 2>&1 &&
	banger kernel delete $K >/dev/null &&
	banger kernel list >out && test "$(wc -l <out)" = 1
'

test_expect_success 'kernel pull brings it back; an unknown name lists the catalog' '
	banger kernel pull $K >out 2>err &&
	grep -q "^kernel $K pulled" out &&
	must_fail 1 banger kernel pull nosuch 2>err &&
	grep -q "no kernel named \"nosuch\" in the catalog (it has: $K)" err
'

test_expect_success 'the built-in catalog: no published bundle, and how to build one' '
	must_fail 1 banger image pull debian-bookworm 2>err &&
	grep -q "no published bundle for it in this build" err &&
	grep -q "sudo make image-debian" err &&
	grep -q "downloads.banger.dev" err
'

test_expect_success 'an image that cannot be fetched: what was tried, and how to build one' '
	printf "\n[[catalog]]\nkind = \"image\"\nname = \"gone\"\nurl = \"https://localhost:8443/gone.tar.zst\"\nsha256 = \"%s\"\nsize = 1000\nkernel = \"$K\"\n" \
	    "$(printf %064d 0)" >>"$HOME/.config/banger/config.toml" &&
	{ must_fail 1 banger vm run --rm --image gone -- true 2>err || { cat err; false; }; } &&
	grep -q "image gone is not on this host: pulling it from the catalog" err &&
	grep -q "https://localhost:8443/gone.tar.zst: 404" err &&
	grep -q "sudo make image-debian" err && grep -q "banger image register gone" err &&
	banger image list >out && ! grep -q "^gone" out
'

test_expect_success 'a catalog entry that breaks a rule names its place' '
	printf "\n[[catalog]]\nkind = \"image\"\nname = \"bad\"\nurl = \"http://x/y\"\n" \
	    >>"$HOME/.config/banger/config.toml" &&
	must_fail 100 banger image pull bad 2>err &&
	grep -q "config.toml:[0-9]*:[0-9]*: catalog entry bad needs \"url\": an https:// URL" err
'

test_done
