#!/bin/sh
# images/serve-bundles.sh — serve what `make bundles` wrote over HTTPS
# on loopback, for `banger image pull` and the pulls of `vm run`, until
# it is stopped (docs/image-catalog.md, "To serve your own").
#
#   sh images/serve-bundles.sh [DIR [PORT]]   DIR default build/bundles, PORT 8443
#   sh images/serve-bundles.sh --ca PKI NAME...
#
# The first makes a private CA and a certificate for localhost in
# DIR/pki (once), prints the two config lines that point banger at the
# catalog and the CA, and serves DIR at https://localhost:PORT/ with
# t/https-server.py (Python's ssl; Range for resumed pulls).  The
# second only makes PKI/ca.pem, PKI/other.pem (a second CA, for tests)
# and PKI/NAME.pem + NAME.key for each host NAME (the tests use it).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
make_ca() {
	d=$1
	shift
	mkdir -p "$d"
	cd "$d"
	ec ca.key
	openssl req -x509 -new -key ca.key -out ca.pem -days 30 -subj /CN=banger-local-ca 2>/dev/null
	ec other.key
	openssl req -x509 -new -key other.key -out other.pem -days 30 -subj /CN=other-ca 2>/dev/null
	for n in "$@"; do
		ec "$n.key"
		openssl req -new -key "$n.key" -subj "/CN=$n" -out "$n.csr" 2>/dev/null
		printf 'subjectAltName=DNS:%s\n' "$n" >"$n.ext"
		openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		    -days 30 -extfile "$n.ext" -out "$n.pem" 2>/dev/null
	done
	cd - >/dev/null
}

if [ "${1:-}" = --ca ]; then
	shift
	make_ca "$@"
	exit 0
fi
dir=$(cd "${1:-$TOP/build/bundles}" && pwd)
port=${2:-8443}
[ -f "$dir/catalog.json" ] || { echo "serve-bundles: no $dir/catalog.json: run make bundles" >&2; exit 100; }
[ -f "$dir/pki/localhost.pem" ] || make_ca "$dir/pki" localhost
cat <<EOF
serve-bundles: https://localhost:$port/ serves $dir
serve-bundles: put these two lines at the top of ~/.config/banger/config.toml:
catalog_file = "$dir/catalog.json"
ca_file = "$dir/pki/ca.pem"
EOF
exec /usr/bin/python3 "$TOP/t/https-server.py" --dir "$dir" --cert "$dir/pki/localhost.pem" \
    --key "$dir/pki/localhost.key" --port "$port" --port-file "$dir/pki/port" --log /dev/null
