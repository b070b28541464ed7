#!/bin/sh
# image-import-oci's Bearer token authentication (lib/oci-registry.c,
# lib/oci-auth.c; issue 13) end to end, as root in a private network
# namespace: Debian's docker-registry with distribution's token auth
# (t/registry-fixture.sh, `auth: token`: it checks each JWT's x5c
# certificate against its rootcertbundle, the RS256 signature, issuer,
# audience, times and access) and t/oci-token-server.py, which signs
# tokens for banger:secret, for anyone on t/public, a token granting
# nothing to anyone on t/hub (as Docker Hub does) and 401 otherwise.
# Checked: a private pull with credentials (one token request, with
# Basic, then the registry's Bearer retry), anonymous Bearer on a public
# repository, wrong credentials and none (exit 1, saying what to do,
# nothing registered), a token the registry refuses (no loop), an
# http:// realm (refused before any request), and the token kept out of
# the image's files, the answer and stderr.
. "${0%/*}/lib.sh"
. "$TOP/t/registry-fixture.sh"

X=$B/libexec/banger
if [ "$(id -u)" != 0 ]; then
	test_skip 'OCI Bearer auth' 'needs root (ip netns; umoci keeps owners as root)'
	test_done
fi
for c in ip:iproute2 jq:jq debugfs:e2fsprogs python3:python3 openssl:openssl; do
	command -v "${c%%:*}" >/dev/null 2>&1 && continue
	test_skip 'OCI Bearer auth' "needs ${c%%:*} (package ${c#*:})"
	test_done
done
if ! reg_tools; then
	test_skip 'OCI Bearer auth' "$REG_MISSING"
	test_done
fi
if [ ! -s "$B/share/banger/guest.tar" ]; then
	test_skip 'OCI Bearer auth' "no $B/share/banger/guest.tar: run make"
	test_done
fi

REG_NETNS=banger-t2211-$$
REG_DIR=$TRASH/reg
REG_TOKEN_REALM=https://localhost:5100/token
TOK=$TRASH/tok
ip netns add "$REG_NETNS" || {
	test_expect_success 'create a network namespace' 'false'
	test_done
}
at_exit "ip netns pids $REG_NETNS | xargs -r kill -9; ip netns del $REG_NETNS"
at_exit 'reg_stop "$REG_DIR"; reg_stop "$TRASH/reghttp"'
at_exit '[ -s "$TOK/pid" ] && kill "$(cat "$TOK/pid")"'
ip -n "$REG_NETNS" link set lo up
S=$BANGER_ROOT/var/lib/banger
CA=$REG_DIR/pki/ca.pem
BASIC=$(printf banger:secret | base64)

# pull JSON-FIELDS: the helper in a pipe in the namespace; answer in out.
pull() {
	printf '{"v":1,%s}\n' "$1" |
	    ip netns exec "$REG_NETNS" "$X/image-import-oci" >out 2>err
}
# req NAME REF [MORE]: the request's fields.
req() { printf '"name":"%s","ref":"%s","ca_file":"%s"%s' "$1" "$2" "$CA" "${3:-}"; }
# with AUTH: the "auth" field, base64 of AUTH.
with() { printf ',"auth":"%s"' "$(printf %s "$1" | base64)"; }
ok_answer() { tail -n 1 out | grep -q '^{"ok":true' || { cat out err >&2; return 1; }; }
err_says() {
	tail -n 1 out | grep -q '"ok":false' && tail -n 1 out | grep -qF -- "$1" ||
	    { cat out err >&2; return 1; }
}
no_staging() {
	for f in "$S/images"/.pull-*; do
		[ -e "$f" ] && { echo "left: $f" >&2; return 1; }
	done
	return 0
}
nothing_left() { test ! -e "$S/images/$1" && no_staging; }
dbg() { debugfs -R "$2" "$S/images/$1/rootfs.ext4" 2>/dev/null; }
# mark: what the token server and the registry logged so far is old;
# since FILE: what was logged after (tok.new, reg.new).
mark() {
	: >"$TOK/log" &&
	    wc -l <"$REG_DIR/registry.log" >reg.mark
}
since() { tail -n "+$(($(cat reg.mark) + 1))" "$REG_DIR/registry.log"; }
# tok_lines PATTERN: how many token requests since mark match it.
tok_lines() { grep -c -- "$1" "$TOK/log"; }
tok_all() { wc -l <"$TOK/log" | tr -d " "; }

test_expect_success 'the registry (token auth) and its token server' '
	mkdir -p "$TOK" l1/etc &&
	echo hello >l1/etc/hello &&
	reg_ca "$REG_DIR/pki" &&
	reg_token_pki "$REG_DIR/pki" &&
	{ ip netns exec "$REG_NETNS" python3 "$TOP/t/oci-token-server.py" \
	    --cert "$REG_DIR/pki/localhost.pem" --key "$REG_DIR/pki/localhost.key" \
	    --sign-key "$REG_DIR/pki/token.key" --sign-cert "$REG_DIR/pki/token.pem" \
	    --issuer banger-token-issuer --service banger-registry \
	    --user banger:secret --public t/public --anon-empty t/hub \
	    --wrong-audience t/forged --port 5100 --port-file "$TOK/port" \
	    --log "$TOK/log" --tokens "$TOK/tokens" </dev/null >"$TOK/out" 2>&1 & } &&
	echo $! >"$TOK/pid" &&
	n=0 &&
	while [ ! -s "$TOK/port" ] && [ $n -lt 200 ]; do
		kill -0 "$(cat "$TOK/pid")" || { cat "$TOK/out"; return 1; }
		sleep 0.05; n=$((n + 1))
	done &&
	test "$(cat "$TOK/port")" = 5100 &&
	reg_start "$REG_DIR" 5000 token &&
	for r in private public hub; do
		reg_image "t/$r:1" l1 || { return 1; }
	done &&
	grep -q "auth=basic:banger -> 200 t/private:pull,push" "$TOK/log"
'

test_expect_success 'the registry checks the tokens: none, or one whose signature was changed, refused (401)' '
	T=$(reg_token t/private) &&
	M=/v2/t/private/manifests/1 &&
	A="Accept: application/vnd.oci.image.manifest.v1+json" &&
	test "$(reg_curl "$M" -o /dev/null -w "%{http_code}" -H "$A" \
	    -H "Authorization: Bearer $T")" = 200 &&
	test "$(reg_curl "$M" -o /dev/null -w "%{http_code}" -H "$A")" = 401 &&
	bad=$(printf %s "$T" | python3 -c "import sys; h, c, s = sys.stdin.read().split(\".\"); print(h + \".\" + c + \".\" + (\"A\" if s[0] != \"A\" else \"B\") + s[1:])") &&
	test "$(reg_curl "$M" -o /dev/null -w "%{http_code}" -H "$A" \
	    -H "Authorization: Bearer $bad")" = 401 &&
	grep -q "unable to verify token signature" "$REG_DIR/registry.log"
'

test_expect_success 'the fixture with tokens: reg_manifest, reg_blob, reg_put_blob, reg_put_manifest' '
	reg_manifest t/public 1 >m.json &&
	reg_blob t/public "$(jq -r .config.digest m.json)" >c.json &&
	jq -e ".rootfs.diff_ids | length == 1" c.json >/dev/null &&
	test "$(reg_put_blob t/public c.json)" = "$(jq -r .config.digest m.json)" &&
	reg_put_manifest t/public copy application/vnd.oci.image.manifest.v1+json m.json &&
	reg_manifest t/public copy | cmp - m.json
'

test_expect_success 'a private repository with the right credentials: one token request with Basic, then Bearer' '
	mark &&
	n0=$(wc -l <"$TOK/tokens") &&
	pull "$(req private localhost:5000/t/private:1 "$(with banger:secret)")" &&
	ok_answer &&
	tail -n 1 out | jq -e ".result.name == \"private\" and .result.layers == 1" >/dev/null &&
	test "$(tok_all)" = 1 &&
	test "$(tok_lines "^GET /token?service=banger-registry&scope=repository%3At%2Fprivate%3Apull auth=basic:banger -> 200 t/private:pull\$")" = 1 &&
	test "$(wc -l <"$TOK/tokens")" = $((n0 + 1)) &&
	since >reg.new &&
	test "$(grep -c "error authorizing context" reg.new)" = 1 &&
	grep "authorization token required" reg.new | grep -q "uri=/v2/t/private/manifests/1 " &&
	test "$(grep "msg=\"authorized request\"" reg.new | grep -c "uri=/v2/t/private/manifests/1 ")" = 1 &&
	test "$(grep "msg=\"authorized request\"" reg.new | grep -c "uri=\"/v2/t/private/blobs/sha256:")" = 2 &&
	dbg private "cat /etc/hello" | grep -qx hello &&
	D=$(reg_manifest t/private 1 | sha256sum | cut -d" " -f1) &&
	jq -e --arg d "sha256:$D" ".oci_digest == \$d and .pulled_from == \"localhost:5000/t/private:1\"" \
	    "$S/images/private/manifest.json" >/dev/null
'

test_expect_success 'the token and the credentials are nowhere in the image, the answer or stderr' '
	tail -n 1 "$TOK/tokens" >mine &&
	test -s mine &&
	dbg private "cat /.banger/oci.json" >oci.json &&
	test -s oci.json &&
	for f in "$S/images/private/manifest.json" oci.json out err; do
		test -s "$f" || test "$f" = err || { echo "empty: $f"; return 1; }
		if grep -qF -f "$TOK/tokens" "$f" || grep -qF "$BASIC" "$f" ||
		    grep -q secret "$f"; then
			echo "leaked into $f" >&2
			return 1
		fi
	done
'

test_expect_success 'wrong credentials: the token server refuses them (exit 1), asked once, nothing registered' '
	mark &&
	must_fail 1 pull "$(req wrong localhost:5000/t/private:1 "$(with banger:wrong)")" &&
	err_says "token server refused the credentials" &&
	err_says "auths entry" &&
	test "$(tok_all)" = 1 &&
	test "$(tok_lines "auth=basic-refused -> 401")" = 1 &&
	nothing_left wrong &&
	! grep -qF "$(printf banger:wrong | base64)" out err
'

test_expect_success 'no credentials for a private repository: refused (exit 1), saying to log in' '
	mark &&
	must_fail 1 pull "$(req anon localhost:5000/t/private:1)" &&
	err_says "token server refused an anonymous pull" &&
	err_says "log in" &&
	test "$(tok_all)" = 1 &&
	test "$(tok_lines "scope=repository%3At%2Fprivate%3Apull auth=anonymous -> 401")" = 1 &&
	nothing_left anon
'

test_expect_success 'anonymous Bearer: a public repository pulled without credentials' '
	mark &&
	pull "$(req public localhost:5000/t/public:1)" &&
	ok_answer &&
	test "$(tok_all)" = 1 &&
	test "$(tok_lines "scope=repository%3At%2Fpublic%3Apull auth=anonymous -> 200 t/public:pull\$")" = 1 &&
	since >reg.new &&
	grep "authorization token required" reg.new | grep -q "uri=/v2/t/public/manifests/1 " &&
	grep "msg=\"authorized request\"" reg.new | grep -q "uri=/v2/t/public/manifests/1 " &&
	dbg public "cat /etc/hello" | grep -qx hello &&
	! grep -qF -f "$TOK/tokens" "$S/images/public/manifest.json" out err
'

test_expect_success 'a token granting nothing (anonymous, Docker Hub style): the registry says 401 again; exit 1, log in' '
	mark &&
	must_fail 1 pull "$(req hub localhost:5000/t/hub:1)" &&
	err_says "the registry refuses an anonymous pull (401)" &&
	err_says "log in" &&
	test "$(tok_all)" = 1 &&
	test "$(tok_lines "auth=anonymous -> 200 -\$")" = 1 &&
	since | grep -q "insufficient scope" &&
	nothing_left hub
'

test_expect_success 'a token the registry refuses (another audience): exit 1, asked once, no loop' '
	mark &&
	must_fail 1 pull "$(req forged localhost:5000/t/forged:1 "$(with banger:secret)")" &&
	err_says "the registry refuses the credentials (401)" &&
	test "$(tok_all)" = 1 &&
	since | grep -q "token intended for another audience" &&
	nothing_left forged
'

test_expect_success 'an http:// token realm: refused (bad_request, exit 100) before any token request' '
	mkdir -p "$TRASH/reghttp" &&
	cp -r "$REG_DIR/pki" "$TRASH/reghttp/pki" &&
	(
		REG_DIR=$TRASH/reghttp &&
		REG_TOKEN_REALM=http://localhost:5100/token &&
		reg_start "$REG_DIR" 5001 token
	) &&
	grep -q "realm: \"http://localhost:5100/token\"" "$TRASH/reghttp/config.yml" &&
	mark &&
	must_fail 100 pull "$(req plain localhost:5001/t/private:1 "$(with banger:secret)")" &&
	tail -n 1 out | jq -e ".error.code == \"bad_request\"" >/dev/null &&
	err_says "https://" &&
	test "$(tok_all)" = 0 &&
	nothing_left plain &&
	! grep -qF "$BASIC" out err
'

test_done
