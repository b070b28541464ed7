#!/bin/sh
# lib/https.c against real servers (t/https-server.py, Python's http.server
# and ssl) with a CA and certificates made here by openssl, through
# t/unit/https-get (ASan+UBSan): whole and ranged GETs, a body cut
# midway and resumed with Range, chunked bodies, redirects, refusals
# (http, loops, huge headers, 404/500, untrusted CA, wrong host name),
# the idle and connect timeouts, a CONNECT proxy with and without
# credentials, no_proxy (docs/https.md).
#
# The servers listen on 127.0.0.1 in a private network namespace: as
# root the test runs itself again under `unshare -n`, with the network
# namespace it came from in BANGER_T_NETNS_FROM (to check it moved).
if [ "$(id -u)" = 0 ] && [ -z "${BANGER_T_NETNS_FROM:-}" ] &&
    unshare -n true 2>/dev/null; then
	BANGER_T_NETNS_FROM=$(readlink /proc/self/ns/net)
	export BANGER_T_NETNS_FROM
	exec unshare -n sh "$0" "$@"
fi
. "${0%/*}/lib.sh"

G=$B/t/https-get
PY=/usr/bin/python3
SRV=$TOP/t/https-server.py

why=
if [ "$(id -u)" != 0 ]; then
	why='needs root (a private network namespace for the servers)'
elif [ -z "${BANGER_T_NETNS_FROM:-}" ] ||
    [ "$(readlink /proc/self/ns/net)" = "$BANGER_T_NETNS_FROM" ]; then
	why='unshare -n failed (no private network namespace)'
elif ! [ -x $PY ]; then
	why="$PY is not installed (Debian's python3)"
elif ! command -v openssl >/dev/null 2>&1; then
	why='openssl is not installed'
elif ! [ -x "$G" ]; then
	why="$G is not built (make all)"
fi
if [ -n "$why" ]; then
	test_skip 'HTTPS client (lib/https.c)' "$why"
	test_done
fi
ip link set lo up || exit 1

PIDS=
at_exit 'kill $PIDS'
# serve NAME ARGS...: t/https-server.py in the background; its port in
# $TRASH/NAME.port once it listens (waited for), its log NAME.log.
serve() {
	_n=$1
	shift
	: >"$TRASH/$_n.log"
	$PY "$SRV" --port-file "$TRASH/$_n.port" --log "$TRASH/$_n.log" "$@" \
	    >"$TRASH/$_n.out" 2>&1 &
	_pid=$!
	PIDS="$PIDS $_pid"
	_i=0
	while ! [ -s "$TRASH/$_n.port" ]; do
		if [ $_i -ge 400 ] || ! kill -0 $_pid 2>/dev/null; then
			cat "$TRASH/$_n.out" >&2
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
}

# mkca NAME; mkcert NAME CA SAN [DAYS]: EC P-256 keys, 30 days (-1: a
# certificate whose notAfter is before its notBefore, never valid).
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=banger test $1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkcert() {
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext" &&
	    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null &&
	    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
	    -CAcreateserial -days "${4:-30}" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}

cd "$TRASH" || exit 1
test_expect_success 'a CA, a certificate for localhost, one for wrong.example, another CA; the files' '
	mkca ca && mkca other &&
	mkcert good ca DNS:localhost &&
	mkcert wrong ca DNS:wrong.example &&
	mkcert expired ca DNS:localhost -1 &&
	cat other.pem ca.pem >bundle.pem &&
	mkdir www &&
	head -c 5000000 /dev/urandom >www/big &&
	echo "a small file" >www/small
'

serve good --dir www --cert good.pem --key good.key &&
    serve good2 --dir www --cert good.pem --key good.key &&
    serve wrong --dir www --cert wrong.pem --key wrong.key &&
    serve expired --dir www --cert expired.pem --key expired.key &&
    serve proxy --proxy &&
    serve authproxy --proxy --proxy-auth 'user:p@ss' &&
    serve hole --blackhole
P=$(cat good.port 2>/dev/null)
W=$(cat wrong.port 2>/dev/null)
E=$(cat expired.port 2>/dev/null)
X=$(cat proxy.port 2>/dev/null)
XA=$(cat authproxy.port 2>/dev/null)
BH=$(cat hole.port 2>/dev/null)
P2=$(cat good2.port 2>/dev/null)
U=https://localhost:$P
test_expect_success 'the servers listen on loopback in the namespace' '
	test -n "$P" && test -n "$P2" && test -n "$W" && test -n "$E" &&
	test -n "$X" &&
	test -n "$XA" &&
	test -n "$BH" &&
	test "$(ip -o link show | cut -d: -f2 | tr -d " ")" = lo
'

test_expect_success 'GET: a 5 MB body equals the file' '
	$G --ca ca.pem "$U/big" >out 2>err &&
	cmp www/big out &&
	grep "^status 200 start 0 length 5000000 total 5000000 url $U/big\$" err &&
	grep "^/big|\$" good.log
'

test_expect_success 'a bundle of many certificates as ca_file' '
	$G --ca bundle.pem "$U/small" >out 2>err &&
	cmp www/small out
'

test_expect_success 'Range from an offset: 206, the tail of the file' '
	$G --ca ca.pem --offset 1000000 "$U/big" >out 2>err &&
	tail -c +1000001 www/big >want &&
	cmp want out &&
	grep "^status 206 start 1000000 length 4000000 total 5000000 " err &&
	grep "^/big|bytes=1000000-\$" good.log
'

test_expect_success 'a body cut midway is "truncated", naming the URL and the bytes' '
	must_fail 111 $G --ca ca.pem "$U/cut/big" >part 2>err &&
	grep "https-get: temporary: $U/cut/big: truncated: the connection closed after 2500000 of 5000000 bytes of the body" err &&
	test "$(wc -c <part)" = 2500000
'

test_expect_success 'resumed from the bytes received: Range, then the rest' '
	n=$(wc -c <part) &&
	$G --ca ca.pem --offset "$n" "$U/cut/big" >rest 2>err &&
	grep "^status 206 start $n length 2500000 total 5000000 " err &&
	cat part rest >whole &&
	cmp www/big whole &&
	grep "^/cut/big|bytes=$n-\$" good.log
'

test_expect_success 'chunked body' '
	$G --ca ca.pem --read-size 777 "$U/chunked/big" >out 2>err &&
	cmp www/big out &&
	grep "^status 200 start 0 length -1 total -1 " err
'

test_expect_success 'a Range the server ignores (200): the body starts at 0' '
	$G --ca ca.pem --offset 100 "$U/chunked/big" >out 2>err &&
	cmp www/big out &&
	grep "^status 200 start 0 " err
'

test_expect_success 'chunked body without its last chunk: truncated' '
	must_fail 111 $G --ca ca.pem "$U/truncchunk/big" >out 2>err &&
	grep "$U/truncchunk/big: truncated: the connection closed after 5000000 bytes of the body, before its last chunk" err
'

test_expect_success 'no length: complete at a TLS close_notify, truncated at a bare close' '
	$G --ca ca.pem "$U/close/big" >out 2>err &&
	cmp www/big out &&
	must_fail 111 $G --ca ca.pem "$U/closenotls/big" >out 2>err &&
	grep "$U/closenotls/big: truncated: .* without a TLS close_notify" err
'

test_expect_success 'redirects: to /NAME, to ../NAME, to an absolute URL' '
	$G --ca ca.pem "$U/redirect/small" >out 2>err &&
	cmp www/small out &&
	grep "url $U/small\$" err &&
	$G --ca ca.pem "$U/redirect-rel/small" >out 2>err &&
	cmp www/small out &&
	grep "url $U/small\$" err &&
	$G --ca ca.pem --offset 4 "$U/redirect-abs/big" >out 2>err &&
	grep "^status 206 start 4 .* url $U/big\$" err &&
	grep "^/redirect-abs/big|bytes=4-\$" good.log &&
	tail -c +5 www/big | cmp - out
'

test_expect_success 'a redirect to http:// is refused' '
	must_fail 100 $G --ca ca.pem "$U/redirect-http/small" >out 2>err &&
	grep "https-get: bad_request: $U/redirect-http/small: redirected to http://localhost:$P/small, refused: banger never follows https to http" err &&
	! test -s out
'

test_expect_success 'a redirect loop: too many redirects' '
	must_fail 100 $G --ca ca.pem "$U/loop" >out 2>err &&
	grep "$U/loop: too many redirects (more than 5" err &&
	test "$(grep -c "^/loop|" good.log)" = 6
'

test_expect_success 'an oversized header, too many headers: refused' '
	must_fail 111 $G --ca ca.pem "$U/bighdr" 2>err &&
	grep "$U/bighdr: the response has a header line longer than 8191 bytes" err &&
	must_fail 111 $G --ca ca.pem "$U/manyhdr" 2>err &&
	grep "$U/manyhdr: the response has more than 100 header lines" err
'

test_expect_success '404: not_found, exit 1, naming the URL and the status' '
	must_fail 1 $G --ca ca.pem "$U/status/404" 2>err &&
	grep "https-get: not_found: $U/status/404: 404 Not Found" err &&
	must_fail 1 $G --ca ca.pem "$U/nothing-here" 2>err &&
	grep "$U/nothing-here: 404 Not Found" err
'

test_expect_success '500: temporary, exit 111; 403: bad_request' '
	must_fail 111 $G --ca ca.pem "$U/status/500" 2>err &&
	grep "https-get: temporary: $U/status/500: 500 Internal Server Error" err &&
	must_fail 100 $G --ca ca.pem "$U/status/403" 2>err &&
	grep "https-get: bad_request: $U/status/403: 403 Forbidden" err
'

test_expect_success 'an offset past the end: 416' '
	must_fail 100 $G --ca ca.pem --offset 99999999 "$U/big" 2>err &&
	grep "$U/big: 416 Range Not Satisfiable" err
'

test_expect_success 'a 206 that starts elsewhere than asked: refused' '
	must_fail 111 $G --ca ca.pem --offset 5 "$U/badrange/small" 2>err &&
	grep "$U/badrange/small: 206 Partial Content starting elsewhere (asked from byte 5)" err
'

test_expect_success 'a certificate of another CA: not trusted' '
	must_fail 100 $G --ca other.pem "$U/small" >out 2>err &&
	grep "https-get: bad_request: $U/small: the server.s certificate is not signed by a CA of other.pem (ca_file)" err &&
	grep "set ca_file in ~/.config/banger/config.toml to trust another CA" err &&
	! test -s out
'

test_expect_success 'the system bundle does not trust the test CA' '
	test -s /etc/ssl/certs/ca-certificates.crt &&
	must_fail 100 $G "$U/small" 2>err &&
	grep "$U/small: the server.s certificate is not signed by a trusted CA" err
'

test_expect_success 'a certificate for another host name: refused, naming the host' '
	must_fail 100 $G --ca ca.pem "https://localhost:$W/small" 2>err &&
	grep "https://localhost:$W/small: the server.s certificate is not valid for the host name localhost" err
'

test_expect_success 'an expired certificate: refused' '
	must_fail 100 $G --ca ca.pem "https://localhost:$E/small" 2>err &&
	grep "https://localhost:$E/small: the server.s certificate has expired or is not valid yet" err
'

test_expect_success 'CA files that cannot be used' '
	must_fail 100 $G --ca nonexistent.pem "$U/small" 2>err &&
	grep "cannot read the CA file nonexistent.pem: No such file or directory" err &&
	echo "not a certificate" >junk.pem &&
	must_fail 100 $G --ca junk.pem "$U/small" 2>err &&
	grep "the CA file junk.pem holds no certificate banger can use" err
'

test_expect_success 'idle timeout: headers, then nothing' '
	must_fail 111 $G --ca ca.pem --idle-ms 500 "$U/slow/big" >out 2>err &&
	grep "$U/slow/big: timed out: nothing from the server for 500 ms (idle_timeout)" err
'

test_expect_success 'connect timeout: a listener that never accepts' '
	must_fail 111 $G --ca ca.pem --connect-ms 700 "https://localhost:$BH/x" 2>err &&
	grep "https://localhost:$BH/x: cannot connect to localhost port $BH: timed out after 700 ms (connect_timeout)" err
'

test_expect_success 'nothing listening: connection refused' '
	must_fail 111 $G --ca ca.pem "https://localhost:1/x" 2>err &&
	grep "https://localhost:1/x: cannot connect to localhost port 1: Connection refused" err
'

test_expect_success 'through the CONNECT proxy' '
	$G --ca ca.pem --proxy "http://127.0.0.1:$X" "$U/big" >out 2>err &&
	cmp www/big out &&
	grep "^CONNECT localhost:$P HTTP/1.1\$" proxy.log &&
	! grep -i "^Proxy-Authorization" proxy.log
'

test_expect_success 'no_proxy=localhost bypasses the proxy' '
	cp proxy.log before &&
	$G --ca ca.pem --proxy "http://127.0.0.1:$X" --no-proxy "example.com, localhost" "$U/small" >out 2>err &&
	cmp www/small out &&
	test_cmp before proxy.log &&
	$G --ca ca.pem --proxy "127.0.0.1:$X" --no-proxy "example.com" "$U/small" >out 2>err &&
	cmp www/small out &&
	test "$(grep -c "^CONNECT" proxy.log)" = 2
'

test_expect_success 'a proxy with credentials: Basic Proxy-Authorization' '
	$G --ca ca.pem --proxy "http://user:p%40ss@127.0.0.1:$XA" "$U/small" >out 2>err &&
	cmp www/small out &&
	grep "^Proxy-Authorization: Basic dXNlcjpwQHNz\$" authproxy.log &&
	must_fail 100 $G --ca ca.pem --proxy "http://127.0.0.1:$XA" "$U/small" 2>err &&
	grep "$U/small: the proxy 127.0.0.1 wants credentials (407 Proxy Authentication Required)" err
'

test_expect_success 'a proxy that is not there; an https:// proxy' '
	must_fail 111 $G --ca ca.pem --proxy "http://127.0.0.1:1" "$U/small" 2>err &&
	grep "$U/small: cannot connect to the proxy 127.0.0.1 port 1: Connection refused" err &&
	must_fail 100 $G --ca ca.pem --proxy "https://127.0.0.1:$X" "$U/small" 2>err &&
	grep "banger speaks to HTTP proxies only" err
'

test_expect_success 'no_proxy as curl reads it' '
	$G --no-proxy-match "*" anything &&
	$G --no-proxy-match "example.com" example.com &&
	$G --no-proxy-match "example.com" a.b.example.com &&
	$G --no-proxy-match ".example.com" example.com &&
	$G --no-proxy-match ".example.com" www.example.com &&
	$G --no-proxy-match "a.org, EXAMPLE.com:8443" example.com &&
	$G --no-proxy-match "a.org,,  localhost" localhost &&
	must_fail 1 $G --no-proxy-match "example.com" badexample.com &&
	must_fail 1 $G --no-proxy-match "www.example.com" example.com &&
	must_fail 1 $G --no-proxy-match "" localhost &&
	must_fail 1 $G --no-proxy-match "*.example.com" www.example.com
'

test_expect_success 'request headers: Accept and Authorization sent as given' '
	$G --ca ca.pem "$U/echo" >out 2>err &&
	printf "Accept: */*\nAuthorization: -\n" >want && test_cmp want out &&
	$G --ca ca.pem --accept "application/a+json, application/b+json" \
	    --auth "Bearer tok.en" "$U/echo" >out 2>err &&
	printf "Accept: application/a+json, application/b+json\nAuthorization: Bearer tok.en\n" >want &&
	test_cmp want out
'

test_expect_success 'Authorization follows a redirect on the same host and port only' '
	$G --ca ca.pem --auth "Bearer x" "$U/redirect/echo" >out 2>err &&
	grep "^Authorization: Bearer x\$" out &&
	$G --ca ca.pem --auth "Bearer x" "$U/redirect-port/$P2/echo" >out 2>err &&
	grep "^status 200 .* url https://localhost:$P2/echo\$" err &&
	grep "^Authorization: -\$" out
'

test_expect_success 'a header value with a newline or non-ASCII byte: refused before connecting' '
	: >good.log.before && cp good.log good.log.before &&
	must_fail 100 $G --ca ca.pem --auth "Bearer a
X-Evil: 1" "$U/echo" 2>err &&
	grep "a request header is empty, too long or has bytes that are not printable ASCII" err &&
	must_fail 100 $G --ca ca.pem --accept "" "$U/echo" 2>err &&
	cmp good.log good.log.before
'

test_expect_success '401: an error (exit 100) naming the URL, or kept with --keep-401' '
	must_fail 100 $G --ca ca.pem "$U/auth401" 2>err &&
	grep "https-get: bad_request: $U/auth401: 401 Unauthorized" err &&
	$G --ca ca.pem --keep-401 "$U/auth401" >out 2>err &&
	grep "^status 401 " err &&
	grep "^header WWW-Authenticate: Bearer realm=\"https://localhost/t\", Basic realm=\"r\"\$" err &&
	grep "^header Content-Type: application/json\$" err &&
	grep UNAUTHORIZED out &&
	$G --ca ca.pem --keep-401 --auth "Bearer good" "$U/auth401" >out 2>err &&
	grep "^status 200 " err && grep welcome out
'

test_expect_success 'response headers: Content-Type and Docker-Content-Digest' '
	$G --ca ca.pem "$U/typed" >out 2>err &&
	grep "^header Content-Type: application/vnd.oci.image.index.v1+json\$" err &&
	grep "^header Docker-Content-Digest: sha256:abababab" err &&
	$G --ca ca.pem "$U/small" >out 2>err &&
	! grep "^header Docker" err
'

test_expect_success 'URLs refused: http://, IP addresses, credentials, other schemes' '
	must_fail 100 $G --ca ca.pem "http://localhost:$P/small" 2>err &&
	grep "https-get: bad_request: http://localhost:$P/small: an http:// URL is refused: banger pulls over https only" err &&
	must_fail 100 $G --ca ca.pem "https://127.0.0.1:$P/small" 2>err &&
	grep "an IP address as the host is not supported" err &&
	must_fail 100 $G --ca ca.pem "https://[::1]:$P/small" 2>err &&
	grep "an IP address as the host is not supported" err &&
	must_fail 100 $G --ca ca.pem "https://u:p@localhost:$P/small" 2>err &&
	grep "a user name or password in the URL is not supported" err &&
	must_fail 100 $G --ca ca.pem "ftp://localhost/x" 2>err &&
	grep "ftp://localhost/x: not an https:// URL" err &&
	must_fail 100 $G --ca ca.pem "https://localhost:99999/x" 2>err &&
	grep "the port is not a number from 1 to 65535" err &&
	must_fail 100 $G --ca ca.pem "https://localhost/a b" 2>err &&
	grep "percent-encode" err
'

test_done
