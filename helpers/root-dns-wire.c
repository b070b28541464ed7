/*
 * root-dns-wire — tell systemd-resolved that .vm names are answered on
 * br-fc by dns-answer: DNS 172.16.0.1 and the routing-only domain ~vm on
 * the bridge, LLMNR, mDNS, DNSSEC and DNS-over-TLS off there
 * (lib/dns-wire.c, docs/dns-routing.md).  Idempotent.  Without
 * resolved, or before the bridge exists, it changes nothing and says so.
 *
 * Request: {"v":1}.  Result: {"wired":true} or {"wired":false,"why":S}.
 *
 * Why this is safe: the request carries nothing but "v"; the link, the
 * address and the zone are compiled in.  It holds no capability: uid 0
 * is what resolved asks of a caller.  Being uid 0 on the system bus is
 * much (systemd would start units for it), so the bus is the one
 * connection it makes, opened before a byte of the request is read
 * (bg_dns_wire_hold, the verb's prepare step); the fence
 * (lib/seccomp.c: no connect, no signals, no ptrace, no new
 * namespaces) goes up right after, and the calls it then makes are the
 * resolve1 ones in lib/dns-wire.c, to the connection whose PID and
 * network namespace were checked.
 * br-fc must be banger's bridge (a bridge holding 172.16.0.1) in
 * resolved's own network namespace; a link of another namespace or a
 * look-alike interface is never touched.  Only the installed owner and
 * root reach this helper (root-dispatch and bg_verb_main check
 * SO_PEERCRED).
 */
#include <stdio.h>

#include "banger.h"
#include "dns.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	char why[256];
	int r;

	(void)rq;
	r = bg_dns_wire_apply(why, sizeof(why), err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddBoolToObject(*result, "wired", r == 0);
	if (r == 1)
		cJSON_AddStringToObject(*result, "why", why);
	return 0;
}

BG_VERB(.name = "dns-wire", .flags = BG_VERB_ROOT, .caps = 0,
    .prepare = bg_dns_wire_hold, .act = act);
