/*
 * dns.h — the .vm zone's DNS messages (lib/dns.c), and the wiring of
 * systemd-resolved to it (lib/dns-wire.c).  docs/dns-routing.md is the
 * user's side; docs/dns-answer.md the wire rules below.
 */
#ifndef BANGER_DNS_H
#define BANGER_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BG_DNS_ZONE "vm"
#define BG_DNS_TTL 5 /* seconds: answers and negative answers (SOA minimum) */
#define BG_DNS_UDP_PLAIN 512 /* RFC 1035: a UDP reply without EDNS */
#define BG_DNS_UDP_EDNS 1232 /* what dns-answer advertises and sends at most */
#define BG_DNS_QUERY_MAX 4096 /* a longer query is dropped */
#define BG_DNS_REPLY_MAX 1024 /* no reply is longer (the largest is ~340) */
#define BG_DNS_GROWTH \
	64 /* a reply is at most this many bytes longer than its query */

/*
 * The zone's data: 1 and *ip (network byte order) when name, a valid
 * lower-case VM name (bg_name_valid), is an existing VM; 0 when there
 * is no such VM; -errno when it cannot tell (the reply is SERVFAIL).
 */
typedef int (*bg_dns_lookup_fn)(void *ctx, const char *name, uint32_t *ip);

/*
 * The reply to one query q[0..qlen), written to out (BG_DNS_REPLY_MAX
 * bytes), or 0: no reply at all (a malformed query, a response, a
 * query longer than BG_DNS_QUERY_MAX).  udp_max is 0 for TCP (no
 * truncation), else the most this server sends over UDP (normally
 * BG_DNS_UDP_EDNS; at least 12): a reply longer than the client's size
 * (512, or its EDNS size) or than udp_max is cut to its header and
 * question with TC set.  Every length is checked; nothing is read
 * outside q[0..qlen).  Never longer than qlen + BG_DNS_GROWTH.
 *
 *   A (or ANY) for NAME.vm of an existing VM: its address, TTL
 *     BG_DNS_TTL, AA set; the name as the client spelled it.
 *   any other type for an existing VM, or the apex vm. (not SOA, ANY):
 *     NOERROR, no answer, the zone's SOA in the authority section.
 *   SOA or ANY for vm.: the SOA.
 *   any other name under vm.: NXDOMAIN with the SOA.
 *   a name outside vm., class not IN, AXFR/IXFR: REFUSED.
 *   an opcode other than QUERY: NOTIMP (header only).
 *   EDNS: the OPT record is answered with one of ours (size
 *     BG_DNS_UDP_EDNS, DO copied); version > 0 is BADVERS; two OPTs,
 *     or an OPT not owned by the root, FORMERR.
 */
size_t bg_dns_reply(const uint8_t *q, size_t qlen, uint8_t *out, size_t udp_max,
    bg_dns_lookup_fn lookup, void *ctx);

/*
 * systemd-resolved and br-fc (lib/dns-wire.c).  The state of the
 * wiring, as read over D-Bus (no privilege needed):
 */
enum bg_dns_wire_state {
	BG_DNS_WIRE_NO_RESOLVED, /* no system bus, or resolved not on it */
	BG_DNS_WIRE_NO_BRIDGE, /* br-fc does not exist (yet) */
	BG_DNS_WIRE_OFF, /* resolved runs, br-fc is not wired */
	BG_DNS_WIRE_ON, /* br-fc has DNS 172.16.0.1 and the domain ~vm */
};
const char *bg_dns_wire_state_name(enum bg_dns_wire_state s);
/* The state now; why (a sentence) when it is not ON. */
enum bg_dns_wire_state bg_dns_wire_state(char *why, size_t n);
/*
 * Ask systemd-resolved for NAME.vm (any user may): 1 and its address in
 * ip, or 0 and why (not resolved, not answered, not found).
 */
int bg_dns_resolve(const char *name, char *ip, size_t n, char *why, size_t wn);
/*
 * Root only: wire br-fc (apply) or take the wiring away (revert),
 * idempotently.  0 done, 1 nothing to do (no resolved, resolved in
 * another network namespace, no bridge: why says which), -errno with
 * err set (br-fc is not banger's bridge: "exists").
 */
struct bg_err;
int bg_dns_wire_apply(char *why, size_t n, struct bg_err *err);
/*
 * root-dns-wire, before it reads its request: open the system bus now,
 * then install bg_seccomp_fence, so that the one connection it ever
 * makes is made before anything of the request is read; apply then uses
 * that bus.  Never in a process that goes on to run other programs.
 */
int bg_dns_wire_hold(struct bg_err *err);
int bg_dns_wire_revert(char *why, size_t n, struct bg_err *err);

#endif
