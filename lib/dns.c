/*
 * dns.c — one DNS query in, one reply out, for the .vm zone
 * (docs/dns-answer.md).  A pure function: no I/O, no allocation, the
 * zone's data from a callback.  Everything about the query is read
 * through get16()/the label walk with the length checked first; the
 * reply is written only through put() (bounded by BG_DNS_REPLY_MAX).
 *
 * What is never done: recursion, following a compression pointer in a
 * query, echoing anything of the query but its header ID and flags and
 * its question (so a reply cannot be made large by the asker: it is at
 * most BG_DNS_GROWTH bytes longer than the query; an amplifier needs
 * the opposite).
 */
#include <stdint.h>
#include <string.h>

#include "dns.h"

#define T_A 1
#define T_SOA 6
#define T_OPT 41
#define T_IXFR 251
#define T_AXFR 252
#define T_ANY 255
#define C_IN 1

#define R_NOERROR 0
#define R_FORMERR 1
#define R_SERVFAIL 2
#define R_NXDOMAIN 3
#define R_NOTIMP 4
#define R_REFUSED 5
#define R_BADVERS 16 /* extended: 1 in the OPT's upper byte */

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_CD 0x0010
#define OPCODE(f) (((f) >> 11) & 0xf)

#define ADDITIONAL_MAX \
	4 /* an OPT, perhaps a cookie-less TSIG: more is not a query */
#define BG_DNS_SERIAL 1

struct query {
	uint16_t id, flags, qtype, qclass;
	size_t qname_end; /* offset just past the question's name */
	size_t question_end; /* offset past qtype and qclass */
	size_t nlabels;
	size_t label_off[128]; /* each label's length byte */
	bool edns;
	int opt_count;
	bool opt_bad_owner;
	uint16_t edns_size;
	uint8_t edns_version;
	bool edns_do;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Skip one name at *off in an additional record: labels, ended by the
 * root or by a compression pointer (not followed; only stepped over).
 */
static int
skip_name(const uint8_t *q, size_t qlen, size_t *off)
{
	size_t o = *off, total = 0;

	for (;;) {
		uint8_t l;

		if (o >= qlen)
			return -1;
		l = q[o];
		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > qlen)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (l & 0xc0)
			return -1;
		if (l == 0) {
			*off = o + 1;
			return 0;
		}
		total += (size_t)l + 1;
		if (total > 255 || o + 1 + l > qlen)
			return -1;
		o += 1 + (size_t)l;
	}
}

/* 0 parsed, -1 malformed (dropped). */
static int
parse(const uint8_t *q, size_t qlen, struct query *x)
{
	size_t o = 12, total = 1, i;
	unsigned qd, an, ns, ar;

	memset(x, 0, sizeof(*x));
	if (qlen < 12 || qlen > BG_DNS_QUERY_MAX)
		return -1;
	x->id = get16(q);
	x->flags = get16(q + 2);
	qd = get16(q + 4);
	an = get16(q + 6);
	ns = get16(q + 8);
	ar = get16(q + 10);
	if ((x->flags & (F_QR | F_TC)) || qd != 1 || an != 0 || ns != 0 ||
	    ar > ADDITIONAL_MAX)
		return -1;
	/* The question's name: labels only, no pointer, at most 255 bytes. */
	for (;;) {
		uint8_t l;

		if (o >= qlen)
			return -1;
		l = q[o];
		if (l == 0)
			break;
		if (l > 63 ||
		    x->nlabels >=
			sizeof(x->label_off) / sizeof(x->label_off[0]))
			return -1;
		total += (size_t)l + 1;
		if (total > 255 || o + 1 + l > qlen)
			return -1;
		x->label_off[x->nlabels++] = o;
		o += 1 + (size_t)l;
	}
	x->qname_end = o + 1;
	if (x->qname_end + 4 > qlen)
		return -1;
	x->qtype = get16(q + x->qname_end);
	x->qclass = get16(q + x->qname_end + 2);
	x->question_end = o = x->qname_end + 4;
	for (i = 0; i < ar; i++) {
		size_t start = o;
		uint16_t type, rdlen;

		if (skip_name(q, qlen, &o) < 0 || o + 10 > qlen)
			return -1;
		type = get16(q + o);
		rdlen = get16(q + o + 8);
		if (o + 10 + (size_t)rdlen > qlen)
			return -1;
		if (type == T_OPT) {
			size_t p = o + 10, end = o + 10 + rdlen;

			x->opt_count++;
			x->edns = true;
			if (o != start + 1 || q[start] != 0)
				x->opt_bad_owner = true;
			x->edns_size = get16(q + o + 2);
			x->edns_version = q[o + 5];
			x->edns_do = (q[o + 6] & 0x80) != 0;
			/* Options: code, length, data; all inside rdata. */
			while (p < end) {
				if (p + 4 > end ||
				    p + 4 + get16(q + p + 2) > end)
					return -1;
				p += 4 + (size_t)get16(q + p + 2);
			}
		}
		o += 10 + (size_t)rdlen;
	}
	return o == qlen ? 0 : -1;
}

static char
lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* Label i of the question equals s (lower case), case-insensitively. */
static bool
label_is(const uint8_t *q, const struct query *x, size_t i, const char *s)
{
	size_t o = x->label_off[i], l = q[o], k;

	if (l != strlen(s))
		return false;
	for (k = 0; k < l; k++)
		if (lower(q[o + 1 + k]) != s[k])
			return false;
	return true;
}

/* The zone's one rule for names: [a-z0-9][a-z0-9-]{0,62} (lib/name.c). */
static bool
vm_label(const uint8_t *q, size_t o, char *name)
{
	size_t l = q[o], k;

	for (k = 0; k < l; k++) {
		char c = lower(q[o + 1 + k]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			(c == '-' && k > 0)))
			return false;
		name[k] = c;
	}
	name[l] = '\0';
	return l > 0;
}

struct out {
	uint8_t *b;
	size_t n;
};

static void
put(struct out *w, const void *p, size_t len)
{
	/* Every reply is far below the cap (the largest is ~340 bytes). */
	if (w->n + len > BG_DNS_REPLY_MAX)
		return;
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void
put16(struct out *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

static void
put32(struct out *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

/* A name as a pointer to offset off of the reply (the question's). */
static void
put_ptr(struct out *w, size_t off)
{
	put16(w, (uint16_t)(0xc000 | off));
}

/* The zone's SOA, owned by the apex vm. (at apex_off in the reply). */
static void
put_soa(struct out *w, size_t apex_off)
{
	static const uint8_t mname[] = { 6, 'b', 'a', 'n', 'g', 'e', 'r' };
	static const uint8_t rname[] = { 10, 'h', 'o', 's', 't', 'm', 'a', 's',
		't', 'e', 'r' };

	put_ptr(w, apex_off);
	put16(w, T_SOA);
	put16(w, C_IN);
	put32(w, BG_DNS_TTL);
	put16(w, (uint16_t)(sizeof(mname) + 2 + sizeof(rname) + 2 + 20));
	put(w, mname, sizeof(mname));
	put_ptr(w, apex_off);
	put(w, rname, sizeof(rname));
	put_ptr(w, apex_off);
	put32(w, BG_DNS_SERIAL);
	put32(w, 3600); /* refresh: no secondaries; conventional values */
	put32(w, 600); /* retry */
	put32(w, 86400); /* expire */
	put32(w, BG_DNS_TTL); /* minimum: the negative TTL (RFC 2308) */
}

static void
put_opt(struct out *w, const struct query *x, unsigned ext_rcode)
{
	put(w, "", 1); /* the root */
	put16(w, T_OPT);
	put16(w, BG_DNS_UDP_EDNS);
	put32(w, (uint32_t)(ext_rcode >> 4) << 24 | (x->edns_do ? 0x8000u : 0));
	put16(w, 0);
}

static void
header(struct out *w, const struct query *x, unsigned rcode, bool aa,
    unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
	uint16_t f = F_QR | (x->flags & (0x7800 | F_RD | F_CD)) |
	    (aa ? F_AA : 0) | (rcode & 0xf);

	w->n = 0;
	put16(w, x->id);
	put16(w, f);
	put16(w, (uint16_t)qd);
	put16(w, (uint16_t)an);
	put16(w, (uint16_t)ns);
	put16(w, (uint16_t)ar);
}

size_t
bg_dns_reply(const uint8_t *q, size_t qlen, uint8_t *out, size_t udp_max,
    bg_dns_lookup_fn lookup, void *ctx)
{
	struct query x;
	struct out w = { out, 0 };
	unsigned rcode = R_NOERROR, an = 0, ns = 0;
	bool zone = false, aa = false, vm = false;
	uint32_t ip = 0;
	size_t apex_off = 0, limit;
	char name[64];

	if (parse(q, qlen, &x) < 0)
		return 0;
	if (OPCODE(x.flags) != 0) {
		header(&w, &x, R_NOTIMP, false, 0, 0, 0, 0);
		return w.n;
	}
	if (x.opt_count > 1 || x.opt_bad_owner) {
		/* RFC 6891 6.1.1: FORMERR, and no OPT in the reply. */
		x.edns = false;
		rcode = R_FORMERR;
	} else if (x.edns && x.edns_version != 0) {
		rcode = R_BADVERS;
	} else {
		zone = x.nlabels >= 1 &&
		    label_is(q, &x, x.nlabels - 1, BG_DNS_ZONE);
		if (!zone || x.qclass != C_IN || x.qtype == T_AXFR ||
		    x.qtype == T_IXFR) {
			rcode = R_REFUSED;
			zone = false;
		}
	}
	if (zone) {
		aa = true;
		apex_off = x.label_off[x.nlabels - 1];
		if (x.nlabels == 1) {
			/* The apex: its SOA, nothing else. */
			if (x.qtype == T_SOA || x.qtype == T_ANY)
				an = 1;
			else
				ns = 1;
		} else if (x.nlabels == 2 &&
		    vm_label(q, x.label_off[0], name)) {
			int r = lookup(ctx, name, &ip);

			if (r < 0) {
				rcode = R_SERVFAIL;
				aa = false;
			} else if (r == 0) {
				rcode = R_NXDOMAIN;
				ns = 1;
			} else if (x.qtype == T_A || x.qtype == T_ANY) {
				vm = true;
				an = 1;
			} else {
				ns = 1;
			}
		} else {
			rcode = R_NXDOMAIN;
			ns = 1;
		}
	}
	header(&w, &x, rcode & 0xf, aa, 1, an, ns, x.edns ? 1 : 0);
	put(&w, q + 12, x.question_end - 12);
	if (vm) {
		put_ptr(&w, 12);
		put16(&w, T_A);
		put16(&w, C_IN);
		put32(&w, BG_DNS_TTL);
		put16(&w, 4);
		put(&w, &ip, 4);
	} else if (an || ns) {
		put_soa(&w, apex_off);
	}
	if (x.edns)
		put_opt(&w, &x, rcode);
	if (udp_max == 0)
		return w.n;
	/* UDP: the client's size (512 without EDNS, never less) and ours. */
	limit = x.edns && x.edns_size > BG_DNS_UDP_PLAIN ? x.edns_size :
							   BG_DNS_UDP_PLAIN;
	if (limit > udp_max)
		limit = udp_max;
	if (w.n <= limit)
		return w.n;
	header(&w, &x, rcode & 0xf, aa, 1, 0, 0, x.edns ? 1 : 0);
	w.b[2] |= F_TC >> 8;
	put(&w, q + 12, x.question_end - 12);
	if (x.edns)
		put_opt(&w, &x, rcode);
	if (w.n <= limit)
		return w.n;
	/* Not even the question fits: the header alone says "use TCP". */
	header(&w, &x, rcode & 0xf, aa, 0, 0, 0, 0);
	w.b[2] |= F_TC >> 8;
	return w.n;
}
