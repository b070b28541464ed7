#!/bin/bash
# The .vm zone (docs/dns-answer.md, docs/dns-routing.md): dns-answer in
# t/with-sandbox's network namespace, asked by dig and by a raw client,
# and a real guest (QEMU TCG) resolving NAME.vm and the internet.
#
# The sandbox's /etc/resolv.conf (BANGER_SANDBOX_RESOLV, its own mount
# namespace: the host's file is untouched) names only 10.77.0.53, as a
# host's upstream resolver: guests are given 172.16.0.1,10.77.0.53.
#
# The root set-up (this file with --root-setup, run by with-sandbox's
# BANGER_SANDBOX_ROOT_SETUP hook as root in the sandbox's namespace):
#   - a stand-in upstream resolver: dnsmasq in a namespace "up"
#     ($BANGER_SANDBOX_NS-up, joined by a veth: sandbox 10.77.0.1/24,
#     up 10.77.0.53/24) answering example.test with 10.9.9.9 and
#     nothing else;
#   - the host network (root-net-setup: br-fc with 172.16.0.1, the
#     tables), so dns-answer (started by with-sandbox on 172.16.0.1:53)
#     is reachable before any VM starts.
ME=$(realpath "$0")

root_setup() {
	local D=$BANGER_SANDBOX_DIR/dns U=$BANGER_SANDBOX_NS-up i=0
	fail() { echo "3200 root set-up: $*" >&2; exit 1; }
	umask 022
	mkdir -p "$D" || fail "cannot make $D"
	ip netns add "$U" || fail "cannot add namespace $U"
	ip link add dn-sb type veth peer name dn-up netns "$U" &&
	    ip -n "$U" link set lo up &&
	    ip -n "$U" addr add 10.77.0.53/24 dev dn-up &&
	    ip -n "$U" link set dn-up up &&
	    ip addr add 10.77.0.1/24 dev dn-sb &&
	    ip link set dn-sb up || fail "cannot wire the upstream namespace"
	ip netns exec "$U" dnsmasq --keep-in-foreground --conf-file=/dev/null \
	    --no-resolv --no-hosts --listen-address=10.77.0.53 --bind-interfaces \
	    --address=/example.test/10.9.9.9 --log-facility="$D/dnsmasq.log" \
	    --pid-file= </dev/null >/dev/null 2>&1 &
	until dig +short +tries=1 +time=1 @10.77.0.53 example.test A 2>/dev/null |
	    grep -qx 10.9.9.9; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "the upstream stand-in did not answer"
		sleep 0.1
	done
	printf '{"v":1}\n' | "$BANGER_LIBEXECDIR/root-net-setup" >"$D/net.json" ||
	    fail "root-net-setup: $(cat "$D/net.json")"
}
if [ "${1:-}" = --root-setup ]; then
	root_setup
	exit 0
fi

if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	. "$TOP/t/lib.sh"
	if [ "$(id -u)" != 0 ]; then
		test_skip '.vm DNS in the sandbox' 'needs root'
		test_done
	fi
	for c in dig:bind9-dnsutils dnsmasq:dnsmasq-base dnsperf:dnsperf \
	    systemd-socket-activate:systemd python3:python3; do
		command -v "${c%%:*}" >/dev/null 2>&1 && continue
		test_skip '.vm DNS in the sandbox' "needs ${c%%:*} (package ${c#*:})"
		test_done
	done
	BANGER_SANDBOX_RESOLV="nameserver 10.77.0.53" \
	    BANGER_SANDBOX_ROOT_SETUP="$(printf '%q' "$ME") --root-setup" \
	    exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

DA=$BANGER_LIBEXECDIR/dns-answer
S=172.16.0.1
# dig against dns-answer, bounded: one try, one second.
d() { dig +tries=1 +time=2 +norec @$S "$@"; }

# A raw client (python3): what dig cannot do, on the wire.
cat >"$TRASH/dnsq.py" <<'PY'
import random, socket, struct, sys

def query(name, qtype=1, qid=None, flags=0x0000):
    qid = random.randrange(65536) if qid is None else qid
    q = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0)
    for l in name.rstrip(".").split("."):
        q += bytes([len(l)]) + l.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)

def show(qid, r):
    rid, fl, qd, an, ns, ar = struct.unpack(">HHHHHH", r[:12])
    ip = socket.inet_ntoa(r[-4:]) if an else "-"
    print("id-ok" if rid == qid else "id-BAD", "rcode=%d" % (fl & 15),
          "an=%d" % an, "ns=%d" % ns, ip)

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b

mode, rest = sys.argv[1], sys.argv[2:]
if mode == "tcp":  # tcp HOST PORT NAME...: one connection, all queries first
    s = socket.create_connection((rest[0], int(rest[1])), timeout=3)
    qs = [query(n) for n in rest[2:]]
    s.sendall(b"".join(struct.pack(">H", len(q)) + q for q in qs))
    for q in qs:
        (n,) = struct.unpack(">H", recv_exact(s, 2))
        show(struct.unpack(">H", q[:2])[0], recv_exact(s, n))
elif mode == "junk":  # junk HOST PORT: each malformed datagram gets no reply
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    good = query("x.vm")
    bad = {
        "short": b"\x12\x34\x00",
        "response": good[:2] + b"\x81\x00" + good[4:],
        "two-questions": good[:4] + b"\x00\x02" + good[6:] + good[12:],
        "pointer-name": good[:12] + b"\xc0\x0c" + good[-4:],
        "long-label": good[:12] + b"\x40" + b"a" * 64 + b"\x00" + good[-4:],
        "trailing": good + b"\x00",
        "random": bytes(random.randrange(256) for _ in range(40)),
    }
    for k, b in bad.items():
        s.sendto(b, (rest[0], int(rest[1])))
        try:
            s.recvfrom(4096)
            print(k, "answered")
        except socket.timeout:
            print(k, "silent")
elif mode == "frame":  # frame NAME...: length-prefixed queries on stdout
    for i, n in enumerate(rest):
        q = query(n, qid=i + 1)
        sys.stdout.buffer.write(struct.pack(">H", len(q)) + q)
elif mode == "unframe":  # unframe: replies from stdin, ids 1, 2, ...
    i = 1
    data = sys.stdin.buffer.read()
    while data:
        (n,) = struct.unpack(">H", data[:2])
        show(i, data[2:2 + n])
        data = data[2 + n:]
        i += 1
PY
q() { python3 "$TRASH/dnsq.py" "$@"; }

test_expect_success 'a VM exists (created, not started): its address' '
	banger vm create --name web >/dev/null 2>&1 &&
	banger --json vm show web | jq -r .ip >web.ip &&
	grep -q "^172\.16\.0\.[0-9]*$" web.ip
'
WEB=$(cat "$TRASH/web.ip" 2>/dev/null)

test_expect_success 'A web.vm: the VM address, authoritative, TTL 5, from 172.16.0.1:53' '
	d web.vm A >out &&
	grep -q "status: NOERROR" out && grep -q "flags: qr aa;" out &&
	grep -Eq "^web\.vm\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$WEB$" out
'
test_expect_success 'the same name in another case: the same address, the name as asked' '
	d WeB.Vm A >out &&
	grep -Eq "^WeB\.Vm\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$WEB$" out
'
test_expect_success 'an unknown .vm name: NXDOMAIN with the zone SOA' '
	d nope.vm A >out &&
	grep -q "status: NXDOMAIN" out &&
	grep -Eq "^vm\.[[:space:]]+5[[:space:]]+IN[[:space:]]+SOA[[:space:]]+banger\.vm\. hostmaster\.vm\. " out &&
	d a.web.vm A >out && grep -q "status: NXDOMAIN" out
'
test_expect_success 'outside the zone: REFUSED, nothing else (never recursion)' '
	d example.com A >out &&
	grep -q "status: REFUSED" out && grep -q "ANSWER: 0, AUTHORITY: 0" out &&
	d +rec example.test A >out && grep -q "status: REFUSED" out
'
test_expect_success 'AAAA web.vm: NODATA (NOERROR, no answer, the SOA)' '
	d web.vm AAAA >out &&
	grep -q "status: NOERROR" out && grep -q "ANSWER: 0, AUTHORITY: 1" out
'
test_expect_success 'EDNS: a buffer size is answered with an OPT of 1232, DO copied; no EDNS, no OPT' '
	d +bufsize=4096 +dnssec web.vm A >out &&
	grep -q "; EDNS: version: 0, flags: do; udp: 1232" out &&
	d +noedns web.vm A >out &&
	! grep -q "EDNS:" out && grep -q "ANSWER: 1" out &&
	d +edns=1 +noednsneg web.vm A >out && grep -q "status: BADVERS" out
'
test_expect_success 'TCP: dig over TCP; three, then 300 queries on one connection, answered in order' '
	d +tcp web.vm A >out &&
	grep -q "(TCP)" out && grep -Eq "IN[[:space:]]+A[[:space:]]+$WEB$" out &&
	q tcp $S 53 web.vm nope.vm WEB.VM >out &&
	printf "%s\n" "id-ok rcode=0 an=1 ns=0 $WEB" "id-ok rcode=3 an=0 ns=1 -" \
	    "id-ok rcode=0 an=1 ns=0 $WEB" >want &&
	test_cmp want out &&
	q tcp $S 53 $(seq 300 | sed "s/.*/web.vm/") >out &&
	test "$(grep -c "^id-ok rcode=0 an=1 ns=0 $WEB$" out)" = 300
'
test_expect_success 'malformed datagrams get no answer at all; the server answers the next good one' '
	q junk $S 53 >out &&
	! grep -v " silent$" out && test $(wc -l <out) = 7 &&
	d web.vm A >out && grep -q "status: NOERROR" out
'
test_expect_success 'a forced small UDP size: TC set; dig retries over TCP and gets the answer' '
	{ "$DA" -l $S:5353 -u 40 -i 0 </dev/null >/dev/null 2>tc.err & } &&
	echo $! >tc.pid &&
	i=0 && until ss -Hlnt "sport = :5353" | grep -q . || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	dig +tries=1 +time=2 +ignore +notcp -p 5353 @$S web.vm A >out &&
	grep -q "flags: qr aa tc rd;" out && grep -q "ANSWER: 0" out &&
	dig +tries=1 +time=2 -p 5353 @$S web.vm A >out &&
	grep -q "Truncated, retrying in TCP mode" out &&
	grep -Eq "IN[[:space:]]+A[[:space:]]+$WEB$" out
'
at_exit 'kill $(cat "$TRASH/tc.pid" 2>/dev/null) 2>/dev/null'
test_expect_success 'inetd (a pipe): framed queries on stdin, framed answers on stdout, exit 0 at EOF' '
	q frame web.vm nope.vm example.com | "$DA" >replies &&
	q unframe <replies >out &&
	printf "%s\n" "id-ok rcode=0 an=1 ns=0 $WEB" "id-ok rcode=3 an=0 ns=1 -" \
	    "id-ok rcode=5 an=0 ns=0 -" >want &&
	test_cmp want out
'
test_expect_success 'dns-answer: a UDP size out of range is a usage error (100) naming the range' '
	must_fail 100 "$DA" -l 127.0.0.1:5399 -u 1233 2>err &&
	grep -q "from 12 to 1232" err
'
# The Accept=no contract, as banger-dns.socket runs it: the socket is
# held by the activator, the first datagram starts dns-answer (exec in
# place: one process), a burst is served by it, and it exits when idle.
test_expect_success 'socket-activated: a burst of 2000 queries served by one process, which then exits 0 when idle' '
	for i in $(seq 20); do echo "web.vm A"; echo "nope.vm A"; done >burst.q &&
	{ { systemd-socket-activate --datagram -E BANGER_ROOT -l $S:5354 "$DA" -i 2 \
	    </dev/null >/dev/null 2>sa.err; echo $? >sa.rc; } </dev/null >/dev/null 2>&1 & } &&
	i=0 && until ss -Hlnu "sport = :5354" | grep -q . || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done &&
	d -p 5354 web.vm A >out && grep -q "status: NOERROR" out &&
	pids=$(pgrep -u "$(id -u)" -x dns-answer | while read -r p; do
		grep -qa -- "-i" /proc/$p/cmdline && tr "\0" " " </proc/$p/cmdline | grep -q " -i 2" && echo $p; done) &&
	test $(echo "$pids" | wc -w) = 1 &&
	dnsperf -s $S -p 5354 -d burst.q -n 50 -c 1 -t 2 >perf.out 2>&1 &&
	grep -Eq "Queries completed: +2000 " perf.out &&
	grep -Eq "NOERROR 1000 " perf.out && grep -Eq "NXDOMAIN 1000 " perf.out &&
	test "$(pgrep -u "$(id -u)" -x dns-answer | grep -c "^$pids$")" = 1 &&
	i=0 && until [ -s sa.rc ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done &&
	test "$(cat sa.rc)" = 0 && ! kill -0 $pids 2>/dev/null ||
	{ cat perf.out sa.err; false; }
'
test_expect_success 'the zone follows the state files: a deleted VM is NXDOMAIN at once' '
	banger vm create --name gone >/dev/null 2>&1 &&
	d gone.vm A >out && grep -q "ANSWER: 1" out &&
	banger vm delete gone >/dev/null 2>&1 &&
	d gone.vm A >out && grep -q "status: NXDOMAIN" out
'

# A real guest: told 172.16.0.1 first, then the upstream stand-in.  It
# resolves its sibling web.vm and itself through dns-answer, and
# example.test through the upstream after dns-answer REFUSES it (glibc's
# resolver, in the image's static busybox).
test_expect_success 'a guest: resolv.conf has 172.16.0.1 then the upstream' '
	banger vm create --name g1 >/dev/null 2>&1 &&
	banger vm start g1 >/dev/null 2>&1 &&
	banger --json vm show g1 | jq -r .ip >g1.ip &&
	i=0 && until banger vm ssh g1 -- true 2>/dev/null || [ $i -ge 120 ]; do sleep 0.5; i=$((i + 1)); done &&
	banger vm ssh g1 -- grep ^nameserver /etc/resolv.conf >out &&
	printf "nameserver 172.16.0.1\nnameserver 10.77.0.53\n" >want &&
	test_cmp want out
'
test_expect_success 'a guest resolves a sibling (web.vm) and the internet (example.test, upstream)' '
	banger vm ssh g1 -- sh -c "ping -c1 -W1 web.vm 2>&1 | head -1; ping -c1 -W1 example.test 2>&1 | head -1" >out &&
	grep -q "^PING web.vm ($WEB)" out &&
	grep -q "^PING example.test (10.9.9.9)" out || { cat out; false; }
'
test_expect_success 'a guest reaches an HTTP server by NAME.vm (its own busybox httpd)' '
	banger vm ssh g1 -- sh -c "mkdir -p /tmp/www && echo hello-from-g1 >/tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www" &&
	banger vm ssh g1 -- wget -qO- http://g1.vm:8080/ >out &&
	test "$(cat out)" = hello-from-g1
'
test_expect_success 'the guest VM goes away cleanly' '
	banger vm delete g1 >/dev/null 2>&1 &&
	d g1.vm A >out && grep -q "status: NXDOMAIN" out
'
test_done
