# shellcheck shell=sh
# t/registry-fixture.sh — a private OCI registry for the image-import
# tests (sourced after t/lib.sh): Debian's docker-registry (distribution
# 2.8) on 127.0.0.1 with TLS from a test CA, optional htpasswd (bcrypt)
# basic auth or token auth (JWTs from a token server such as
# t/oci-token-server.py), and images built with umoci and pushed with
# skopeo.  No docker, no service installed on the host.
#
#   reg_tools             REG_BIN: /usr/bin/docker-registry of the Debian
#                         package, unpacked (dpkg -x, never installed: its
#                         postinst starts a service) into
#                         build/cache/docker-registry-VERSION; checks for
#                         skopeo, umoci, htpasswd, setcap, openssl, curl.
#                         Returns 1 with the reason (and the package) in
#                         REG_MISSING.
#   reg_ca DIR            DIR/ca.pem (+ .key), DIR/localhost.pem (+ .key:
#                         DNS:localhost, IP:127.0.0.1), DIR/certs/ca.crt
#                         (a skopeo --dest-cert-dir holding only the CA)
#   reg_start DIR PORT [none|basic|token]
#                         serves DIR/data on https://127.0.0.1:PORT/ (CA in
#                         DIR/pki, made if missing), user banger, password
#                         secret with basic; logs to DIR/registry.log, pid
#                         in DIR/registry.pid; waits (10 s at most) until
#                         /v2/ answers 200 or 401.  Sets REG_DIR=DIR.
#                         token: distribution's token auth (Bearer JWTs
#                         from a token server the caller runs, such as
#                         t/oci-token-server.py, with user banger,
#                         password secret): the realm REG_TOKEN_REALM
#                         (required, written as given: http:// too),
#                         service REG_TOKEN_SERVICE (banger-registry),
#                         issuer REG_TOKEN_ISSUER (banger-token-issuer),
#                         rootcertbundle REG_TOKEN_ROOTS (DIR/pki/ca.pem);
#                         reg_token_pki makes the signing key.  Needs jq.
#   reg_token_pki DIR     DIR/token.key (RSA 2048) and DIR/token.pem, its
#                         certificate signed by DIR/ca.pem (reg_ca): the
#                         token server's signing key, sent as "x5c"
#   reg_token NAME        a token for repository:NAME:pull,push from the
#                         token registry's realm as banger:secret, stdout
#                         (reg_manifest, reg_blob and reg_put_* send one)
#   reg_stop [DIR]        stops it (TERM, then KILL after 5 s): at_exit
#   reg_image NAME[:TAG] TREE...
#                         an OCI image (TAG default latest), one layer per
#                         TREE in order, pushed to 127.0.0.1:PORT/NAME:TAG.
#                         A layer is umoci unpack, the tree copied in
#                         (owners, modes, hard links, xattrs such as
#                         security.capability kept), umoci repack.  In a
#                         tree, an empty file DIR/.wh.X removes DIR/X from
#                         the rootfs first (repack writes the whiteout
#                         DIR/.wh.X).  umoci never writes an opaque
#                         directory, so a tree holding any .wh..wh..opq is
#                         added verbatim as a tar (umoci raw add-layer),
#                         markers and all.  REG_PUSH_FORMAT=v2s2 pushes
#                         Docker v2 media types instead of OCI.  The
#                         layout stays in REG_DIR/oci/NAME.
#   reg_manifest NAME TAG [CURL ARGS]
#                         the manifest (Accept: OCI and Docker v2), stdout;
#                         e.g. -D FILE for the headers (Content-Type)
#   reg_blob NAME DIGEST  a blob, stdout
#   reg_curl PATH [ARGS]  curl https://127.0.0.1:PORT/PATH with the CA,
#                         bounded, no credentials (add -u banger:secret)
#   reg_ns CMD...         CMD in the registry's network namespace
#   reg_put_blob NAME FILE
#                         uploads FILE as a blob of NAME (POST, then PUT
#                         with its digest); prints "sha256:HEX"
#   reg_put_manifest NAME REF MEDIATYPE FILE
#                         PUTs FILE as the manifest NAME:REF (a tag or a
#                         digest) with that Content-Type, as written: the
#                         tests' hand-made documents (an index, another
#                         artifact type, a layer no tool would write)
#
# Network: the registry must never listen in the host's namespace.
# Either the caller is already in a named one (t/with-sandbox's root
# hook) or it sets REG_NETNS to a namespace it made (`ip netns add`), and
# every network command goes through `ip netns exec`.  REG_ANY_NETNS=1
# accepts an unnamed one (unshare -n).  Functions that run inside test
# bodies (subshells) find their state in files under REG_DIR: set
# REG_DIR at top level when reg_start is called from a body.

REG_BIN=
REG_MISSING=
REG_DIR=${REG_DIR:-}
REG_NETNS=${REG_NETNS:-}
REG_PATH=/usr/bin/docker-registry

reg_tools() {
	REG_MISSING=
	for _c in skopeo:skopeo umoci:umoci htpasswd:apache2-utils \
	    setcap:libcap2-bin openssl:openssl curl:curl dpkg:dpkg \
	    apt-get:apt flock:util-linux; do
		command -v "${_c%%:*}" >/dev/null 2>&1 && continue
		REG_MISSING="${_c%%:*} is not installed (package ${_c#*:})"
		return 1
	done
	_ver=$(apt-cache policy docker-registry 2>/dev/null |
	    awk '$1 == "Candidate:" { print $2 }')
	case $_ver in
	'' | '(none)')
		REG_MISSING="apt knows no docker-registry package (apt-get update?)"
		return 1 ;;
	esac
	_cache=$B/cache
	_tree=$_cache/docker-registry-$(printf '%s' "$_ver" | tr -c 'A-Za-z0-9.+~-' _)
	REG_BIN=$_tree$REG_PATH
	[ -x "$REG_BIN" ] && return 0
	mkdir -p "$_cache" || return 1
	exec 8>"$_cache/.docker-registry.lock"
	if ! flock -w 300 8; then
		exec 8>&-
		REG_MISSING="timed out waiting for $_cache/.docker-registry.lock"
		return 1
	fi
	if [ ! -x "$REG_BIN" ]; then
		# Under the lock, a temporary directory is what a killed run left.
		rm -rf "$_cache"/.docker-registry-tmp.*
		_tmp=$(mktemp -d "$_cache/.docker-registry-tmp.XXXXXX") &&
		    chmod 0755 "$_tmp" &&
		    (cd "$_tmp" && apt-get download "docker-registry=$_ver") \
		    >"$_tmp/log" 2>&1 &&
		    dpkg -x "$_tmp"/docker-registry_*.deb "$_tmp/root" &&
		    [ -x "$_tmp/root$REG_PATH" ] &&
		    rm -rf "$_tmp/root/etc" "$_tmp/root/lib" &&
		    mv "$_tmp/root" "$_tree" ||
		    REG_MISSING="cannot fetch docker-registry $_ver: $(tail -n 3 "$_tmp/log" 2>/dev/null)"
		rm -rf "$_tmp"
	fi
	exec 8>&-
	[ -x "$REG_BIN" ] || {
		REG_MISSING=${REG_MISSING:-"no $REG_BIN"}
		return 1
	}
}

reg_ca() {
	mkdir -p "$1/certs" &&
	    (
		cd "$1" || exit 1
		ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		ec ca.key &&
		    openssl req -x509 -new -key ca.key -out ca.pem -days 30 \
		    -subj /CN=banger-registry-ca 2>/dev/null &&
		    ec localhost.key &&
		    openssl req -new -key localhost.key -subj /CN=localhost \
		    -out localhost.csr 2>/dev/null &&
		    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >localhost.ext &&
		    openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 30 -extfile localhost.ext \
		    -out localhost.pem 2>/dev/null &&
		    cp ca.pem certs/ca.crt
	    )
}

reg_ns() {
	if [ -n "$REG_NETNS" ]; then
		ip netns exec "$REG_NETNS" "$@"
	else
		"$@"
	fi
}

# A private network namespace, or a refusal.
reg_netns_ok() {
	[ -n "$REG_NETNS" ] && return 0
	[ "${REG_ANY_NETNS:-0}" = 1 ] && return 0
	[ -n "$(ip netns identify 2>/dev/null)" ] && return 0
	echo "registry-fixture: not in a named network namespace: set REG_NETNS" >&2
	return 1
}

reg_port() { cat "${REG_DIR:?}/port"; }

reg_curl() {
	_p=$1
	shift
	reg_ns curl -sS --max-time 20 --cacert "$REG_DIR/pki/ca.pem" "$@" \
	    "https://127.0.0.1:$(reg_port)/${_p#/}"
}

# Credentials for curl, when the registry asks for them.
reg_creds() {
	[ "$(cat "$REG_DIR/auth")" = basic ] && echo banger:secret
	return 0
}

reg_token_pki() {
	(
		cd "$1" || exit 1
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out token.key 2>/dev/null &&
		    openssl req -new -key token.key -subj /CN=banger-token-signer \
		    -out token.csr 2>/dev/null &&
		    openssl x509 -req -in token.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 30 -out token.pem 2>/dev/null
	)
}

reg_token() {
	_realm=$(cat "$REG_DIR/token-realm") &&
	    _svc=$(cat "$REG_DIR/token-service") &&
	    reg_ns curl -sS -f --max-time 20 --cacert "$REG_DIR/pki/ca.pem" \
	    -u banger:secret -G --data-urlencode "service=$_svc" \
	    --data-urlencode "scope=repository:$1:pull,push" "$_realm" |
	    jq -er .token
}

# A token for NAME when the registry takes tokens; nothing otherwise.
_reg_tok() {
	[ "$(cat "$REG_DIR/auth")" = token ] || return 0
	reg_token "$1"
}

reg_start() {
	[ -n "$REG_BIN" ] || reg_tools || {
		echo "registry-fixture: $REG_MISSING" >&2
		return 1
	}
	reg_netns_ok || return 1
	REG_DIR=$1
	_auth=${3:-none}
	mkdir -p "$1/data" || return 1
	[ -f "$1/pki/localhost.pem" ] || reg_ca "$1/pki" || return 1
	echo "$2" >"$1/port" && echo "$_auth" >"$1/auth" || return 1
	{
		printf 'version: 0.1\nlog:\n  level: info\n'
		printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n' "$1"
		printf '  delete:\n    enabled: true\n'
		printf 'http:\n  addr: 127.0.0.1:%s\n  secret: banger-test\n' "$2"
		printf '  tls:\n    certificate: %s/pki/localhost.pem\n' "$1"
		printf '    key: %s/pki/localhost.key\n' "$1"
		if [ "$_auth" = basic ]; then
			printf 'auth:\n  htpasswd:\n    realm: banger-test\n'
			printf '    path: %s/htpasswd\n' "$1"
		fi
		if [ "$_auth" = token ]; then
			printf 'auth:\n  token:\n    realm: "%s"\n' "$REG_TOKEN_REALM"
			printf '    service: "%s"\n' "${REG_TOKEN_SERVICE:-banger-registry}"
			printf '    issuer: "%s"\n' "${REG_TOKEN_ISSUER:-banger-token-issuer}"
			printf '    rootcertbundle: "%s"\n' "${REG_TOKEN_ROOTS:-$1/pki/ca.pem}"
		fi
	} >"$1/config.yml" || return 1
	case $_auth in
	basic) htpasswd -Bbc "$1/htpasswd" banger secret 2>/dev/null || return 1 ;;
	none) ;;
	token)
		case ${REG_TOKEN_REALM:-} in
		'' | *\"* | *\\*)
			echo "reg_start: token needs REG_TOKEN_REALM (no quotes)" >&2
			return 1 ;;
		esac
		command -v jq >/dev/null 2>&1 || {
			echo "reg_start: token needs jq (package jq)" >&2
			return 1
		}
		printf '%s\n' "$REG_TOKEN_REALM" >"$1/token-realm" &&
		    printf '%s\n' "${REG_TOKEN_SERVICE:-banger-registry}" \
		    >"$1/token-service" || return 1
		;;
	*) echo "reg_start: auth is none, basic or token, not $_auth" >&2; return 1 ;;
	esac
	# exec all the way (ip netns exec does not fork): the pid is the registry's.
	(
		if [ -n "$REG_NETNS" ]; then
			exec ip netns exec "$REG_NETNS" "$REG_BIN" serve "$1/config.yml"
		fi
		exec "$REG_BIN" serve "$1/config.yml"
	) </dev/null >>"$1/registry.log" 2>&1 &
	echo $! >"$1/registry.pid"
	_n=0
	while :; do
		_code=$(reg_curl /v2/ -o /dev/null -w '%{http_code}' --max-time 2 2>/dev/null)
		case $_code in 200 | 401) return 0 ;; esac
		_n=$((_n + 1))
		if [ $_n -ge 200 ] || ! kill -0 "$(cat "$1/registry.pid")" 2>/dev/null; then
			echo "reg_start: no registry on 127.0.0.1:$2 (last: ${_code:-none})" >&2
			tail -n 10 "$1/registry.log" >&2
			return 1
		fi
		sleep 0.05
	done
}

reg_stop() {
	_d=${1:-$REG_DIR}
	[ -n "$_d" ] && [ -s "$_d/registry.pid" ] || return 0
	_pid=$(cat "$_d/registry.pid")
	kill "$_pid" 2>/dev/null
	_n=0
	while kill -0 "$_pid" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	kill -9 "$_pid" 2>/dev/null
	rm -f "$_d/registry.pid"
	return 0
}

_reg_tar() { tar --xattrs --xattrs-include='*' --numeric-owner "$@"; }

# One layer from TREE onto LAYOUT:TAG, by unpack/copy/repack.
_reg_layer() {
	_b=$REG_DIR/bundle.$$
	rm -rf "$_b" &&
	    umoci unpack --image "$1:$2" "$_b" >/dev/null &&
	    (cd "$3" && find . -name '.wh.*' ! -type d) >"$_b.wh" &&
	    while IFS= read -r _w; do
		_dn=${_w%/*}
		rm -rf "$_b/rootfs/$_dn/${_w##*/.wh.}" || return 1
	    done <"$_b.wh" &&
	    _reg_tar -C "$3" --exclude='.wh.*' -cf - . |
	    _reg_tar -C "$_b/rootfs" -xpf - &&
	    umoci repack --image "$1:$2" "$_b" &&
	    rm -rf "$_b" "$_b.wh"
}

reg_image() {
	_name=${1%%:*}
	_tag=latest
	case $1 in *:*) _tag=${1#*:} ;; esac
	shift
	_oci=$REG_DIR/oci/$_name
	rm -rf "$_oci" && mkdir -p "${_oci%/*}" &&
	    umoci init --layout "$_oci" &&
	    umoci new --image "$_oci:$_tag" || return 1
	for _t in "$@"; do
		if [ -n "$(find "$_t" -name .wh..wh..opq | head -n 1)" ]; then
			_reg_tar -C "$_t" --sort=name -cf "$REG_DIR/layer.$$.tar" . &&
			    umoci raw add-layer --image "$_oci:$_tag" "$REG_DIR/layer.$$.tar" &&
			    rm -f "$REG_DIR/layer.$$.tar"
		else
			_reg_layer "$_oci" "$_tag" "$_t"
		fi || {
			echo "reg_image: cannot add the layer $_t" >&2
			return 1
		}
	done
	set -- --insecure-policy copy --retry-times 0 --dest-cert-dir "$REG_DIR/pki/certs"
	case $(cat "$REG_DIR/auth") in
	basic | token) set -- "$@" --dest-creds banger:secret ;;
	esac
	[ -n "${REG_PUSH_FORMAT:-}" ] && set -- "$@" --format "$REG_PUSH_FORMAT"
	reg_ns timeout 60 skopeo "$@" "oci:$_oci:$_tag" \
	    "docker://127.0.0.1:$(reg_port)/$_name:$_tag" >"$REG_DIR/skopeo.log" 2>&1 || {
		cat "$REG_DIR/skopeo.log" >&2
		return 1
	}
}

reg_manifest() {
	_m=$1 _tag=$2
	shift 2
	set -- "/v2/$_m/manifests/$_tag" -f "$@" \
	    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json'
	[ -n "$(reg_creds)" ] && set -- "$@" -u "$(reg_creds)"
	_tk=$(_reg_tok "$_m") || return 1
	reg_curl "$@" ${_tk:+-H "Authorization: Bearer $_tk"}
}

reg_blob() {
	_tk=$(_reg_tok "$1") || return 1
	set -- "/v2/$1/blobs/$2" -f -L
	[ -n "$(reg_creds)" ] && set -- "$@" -u "$(reg_creds)"
	reg_curl "$@" ${_tk:+-H "Authorization: Bearer $_tk"}
}

reg_put_blob() {
	_d=sha256:$(sha256sum <"$2" | cut -d' ' -f1)
	set -- "$1" "$2"
	_c=$(reg_creds)
	_tk=$(_reg_tok "$1") || return 1
	_loc=$(reg_curl "/v2/$1/blobs/uploads/" -f -X POST -D - -o /dev/null \
	    ${_c:+-u "$_c"} ${_tk:+-H "Authorization: Bearer $_tk"} |
	    tr -d '\r' | sed -n 's/^[Ll]ocation: //p') &&
	    [ -n "$_loc" ] || return 1
	case $_loc in http*) _loc=/${_loc#*://*/} ;; esac
	case $_loc in *\?*) _loc="$_loc&digest=$_d" ;; *) _loc="$_loc?digest=$_d" ;; esac
	reg_curl "$_loc" -f -X PUT ${_c:+-u "$_c"} \
	    ${_tk:+-H "Authorization: Bearer $_tk"} \
	    -H 'Content-Type: application/octet-stream' \
	    --data-binary "@$2" -o /dev/null || return 1
	echo "$_d"
}

reg_put_manifest() {
	_c=$(reg_creds)
	_tk=$(_reg_tok "$1") || return 1
	reg_curl "/v2/$1/manifests/$2" -f -X PUT ${_c:+-u "$_c"} \
	    ${_tk:+-H "Authorization: Bearer $_tk"} \
	    -H "Content-Type: $3" --data-binary "@$4" -o /dev/null
}
