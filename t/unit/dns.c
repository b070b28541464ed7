/*
 * dns.c — the .vm zone's DNS replies (lib/dns.c, bg_dns_reply, whose
 * contract is lib/dns.h).  Queries are built here by hand, byte by
 * byte; replies are read by a checked parser of this file's own (not
 * the code under test).  Each query is copied into a heap buffer of
 * exactly its length, so ASan catches a read past it.  Every call
 * checks that the reply is at most qlen + BG_DNS_GROWTH bytes and, when
 * there is one, that it is a response with the query's ID.
 *
 * The zone's data is a fixed table: alpha -> 172.16.0.2, b-2 ->
 * 172.16.0.3, err -> -EIO (SERVFAIL).  The lookup checks that it is
 * only ever asked about valid lower-case VM names (bg_name_valid).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"
#include "dns.h"
#include "tap.h"

#define F_QR 0x8000u
#define F_AA 0x0400u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_RA 0x0080u
#define OPCODE(f) (((f) >> 11) & 0xfu)
#define RCODE(f) ((f)&0xfu)

enum {
	T_A = 1,
	T_NS = 2,
	T_SOA = 6,
	T_MX = 15,
	T_TXT = 16,
	T_AAAA = 28,
	T_OPT = 41,
	T_IXFR = 251,
	T_AXFR = 252,
	T_ANY = 255,
};
enum { C_IN = 1, C_CH = 3, C_ANY = 255 };
enum { NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED };

/* The zone's data. */
struct vm {
	const char *name;
	uint8_t ip[4];
	int r;
};
static const struct vm table[] = {
	{ "alpha", { 172, 16, 0, 2 }, 1 },
	{ "b-2", { 172, 16, 0, 3 }, 1 },
	{ "err", { 0, 0, 0, 0 }, -EIO },
	{ NULL, { 0, 0, 0, 0 }, 0 },
};
static int lookups, bad_lookups;
static char last_lookup[300];

static int
lookup(void *ctx, const char *name, uint32_t *ip)
{
	const struct vm *v;

	lookups++;
	if (ctx != table || name == NULL || !bg_name_valid(name)) {
		bad_lookups++;
		printf("# lookup of an invalid name or with a wrong ctx\n");
		return 0;
	}
	snprintf(last_lookup, sizeof(last_lookup), "%s", name);
	for (v = table; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0) {
			if (v->r == 1)
				memcpy(ip, v->ip, 4);
			return v->r;
		}
	return 0;
}

/* Query building. */
struct w {
	uint8_t b[BG_DNS_QUERY_MAX + 64];
	size_t n;
};

static void
put(struct w *w, const void *p, size_t n)
{
	if (n > sizeof(w->b) - w->n)
		abort();
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
put8(struct w *w, unsigned v)
{
	uint8_t c = (uint8_t)v;

	put(w, &c, 1);
}

static void
put16(struct w *w, unsigned v)
{
	put8(w, (v >> 8) & 0xff);
	put8(w, v & 0xff);
}

static void
put32(struct w *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static unsigned
get16(const uint8_t *b, size_t at)
{
	return (unsigned)b[at] << 8 | b[at + 1];
}

static uint32_t
get32(const uint8_t *b, size_t at)
{
	return (uint32_t)get16(b, at) << 16 | get16(b, at + 2);
}

static void
set16(struct w *w, size_t at, unsigned v)
{
	w->b[at] = (uint8_t)(v >> 8);
	w->b[at + 1] = (uint8_t)v;
}

/* A string literal's bytes, without its final NUL. */
#define PUTS(w, s) put(w, s, sizeof(s) - 1)

/* One label of len bytes c. */
static void
put_label(struct w *w, size_t len, char c)
{
	put8(w, (unsigned)len);
	while (len-- > 0)
		put8(w, (unsigned char)c);
}

/* "AlPhA.Vm", "vm." or "." (the root) as labels, as spelled. */
static void
put_name(struct w *w, const char *name)
{
	const char *p = name;

	while (*p != '\0' && *p != '.') {
		size_t l = strcspn(p, ".");

		put8(w, (unsigned)l);
		put(w, p, l);
		p += l;
		if (*p == '.')
			p++;
	}
	put8(w, 0);
}

static void
header(struct w *w, unsigned id, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	w->n = 0;
	put16(w, id);
	put16(w, flags);
	put16(w, qd);
	put16(w, an);
	put16(w, ns);
	put16(w, ar);
}

/* A query: a header and one question. */
static void
query(struct w *w, unsigned id, unsigned flags, const char *name, unsigned type,
    unsigned class)
{
	header(w, id, flags, 1, 0, 0, 0);
	put_name(w, name);
	put16(w, type);
	put16(w, class);
}

/*
 * An OPT record owned by owner (NULL: the root) added to the additional
 * section: the client's UDP size, its version, the DO bit, and a
 * padding option of pad bytes when pad is not 0.
 */
static void
opt_rr(struct w *w, const char *owner, unsigned udp, unsigned version,
    bool dnssec_ok, size_t pad)
{
	set16(w, 10, get16(w->b, 10) + 1);
	put_name(w, owner != NULL ? owner : ".");
	put16(w, T_OPT);
	put16(w, udp);
	put8(w, 0);
	put8(w, version);
	put16(w, dnssec_ok ? 0x8000 : 0);
	if (pad == 0) {
		put16(w, 0);
		return;
	}
	put16(w, (unsigned)pad + 4);
	put16(w, 12); /* RFC 7830 padding */
	put16(w, (unsigned)pad);
	while (pad-- > 0)
		put8(w, 0);
}

static void
opt(struct w *w, unsigned udp, unsigned version, bool dnssec_ok)
{
	opt_rr(w, NULL, udp, version, dnssec_ok, 0);
}

/* The reply parser. */
#define NAME_TEXT 1100 /* 255 wire bytes, each at most 4 characters */

struct rr {
	char name[NAME_TEXT];
	size_t at; /* where the record starts */
	unsigned type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
};

struct msg {
	uint8_t buf[BG_DNS_REPLY_MAX];
	size_t n;
	unsigned id, flags, qd, an, ns, ar;
	char qname[NAME_TEXT];
	unsigned qtype, qclass;
	size_t qend; /* the end of the question section */
	struct rr rr[8]; /* answer, authority, additional */
};

/*
 * The name at *at in b[0..n) as text: lower case, dot-terminated, "."
 * for the root, bytes other than [a-z0-9_-] as \DDD.  Pointers must go
 * backwards; labels 1..63 bytes; at most 255 bytes on the wire.  *at
 * moves past it; -1 when malformed.
 */
static int
get_name(const uint8_t *b, size_t n, size_t *at, char *text)
{
	size_t p = *at, end = 0, wire = 0, t = 0, i;
	bool jumped = false;
	int jumps = 0;

	for (;;) {
		unsigned l;

		if (p >= n)
			return -1;
		l = b[p];
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (p + 1 >= n)
				return -1;
			to = (size_t)(l & 0x3f) << 8 | b[p + 1];
			if (to >= p || ++jumps > 128)
				return -1;
			if (!jumped)
				end = p + 2;
			jumped = true;
			p = to;
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1;
		wire += l + 1;
		if (wire > 255)
			return -1;
		if (l == 0) {
			p++;
			break;
		}
		if (l > n - p - 1)
			return -1;
		for (i = 0; i < l; i++) {
			unsigned c = b[p + 1 + i];

			if (c >= 'A' && c <= 'Z')
				text[t++] = (char)(c - 'A' + 'a');
			else if ((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_')
				text[t++] = (char)c;
			else
				t += (size_t)snprintf(text + t, 5, "\\%03u", c);
		}
		text[t++] = '.';
		p += 1 + l;
	}
	if (t == 0)
		text[t++] = '.';
	text[t] = '\0';
	*at = jumped ? end : p;
	return 0;
}

/* m->buf[0..m->n) parsed into m: 0, or -1 when malformed. */
static int
parse(struct msg *m)
{
	const uint8_t *b = m->buf;
	size_t n = m->n, at = 12, i, nrr;

	if (n < 12)
		return -1;
	m->id = get16(b, 0);
	m->flags = get16(b, 2);
	m->qd = get16(b, 4);
	m->an = get16(b, 6);
	m->ns = get16(b, 8);
	m->ar = get16(b, 10);
	m->qname[0] = '\0';
	m->qtype = m->qclass = 0;
	if (m->qd > 1)
		return -1;
	if (m->qd == 1) {
		if (get_name(b, n, &at, m->qname) < 0 || n - at < 4)
			return -1;
		m->qtype = get16(b, at);
		m->qclass = get16(b, at + 2);
		at += 4;
	}
	m->qend = at;
	nrr = (size_t)m->an + m->ns + m->ar;
	if (nrr > sizeof(m->rr) / sizeof(m->rr[0]))
		return -1;
	for (i = 0; i < nrr; i++) {
		struct rr *r = &m->rr[i];

		r->at = at;
		if (get_name(b, n, &at, r->name) < 0 || n - at < 10)
			return -1;
		r->type = get16(b, at);
		r->class = get16(b, at + 2);
		r->ttl = get32(b, at + 4);
		r->rdlen = get16(b, at + 8);
		at += 10;
		if (r->rdlen > n - at)
			return -1;
		r->rdata = at;
		at += r->rdlen;
	}
	return at == n ? 0 : -1;
}

/* r is the zone's SOA: owner vm., IN, two names and five numbers, the
 * last (the negative TTL) BG_DNS_TTL. */
static bool
is_soa(const struct msg *m, const struct rr *r)
{
	char t[NAME_TEXT];
	size_t at = r->rdata, end = r->rdata + r->rdlen;

	if (r->type != T_SOA || r->class != C_IN || strcmp(r->name, "vm.") != 0)
		return false;
	if (get_name(m->buf, end, &at, t) < 0 ||
	    get_name(m->buf, end, &at, t) < 0)
		return false;
	return end - at == 20 && get32(m->buf, at + 16) == BG_DNS_TTL;
}

/* r is our OPT: owner the root, class BG_DNS_UDP_EDNS, extended rcode
 * ext, version 0, DO as given, no options. */
static bool
is_opt(const struct rr *r, unsigned ext, bool dnssec_ok)
{
	uint32_t ttl = (uint32_t)ext << 24 | (dnssec_ok ? 0x8000u : 0);
	bool good = r->type == T_OPT && strcmp(r->name, ".") == 0 &&
	    r->class == BG_DNS_UDP_EDNS && r->ttl == ttl && r->rdlen == 0;

	if (!good)
		printf("# OPT: owner %s type %u class %u ttl %08x rdlen %zu\n",
		    r->name, r->type, r->class, (unsigned)r->ttl, r->rdlen);
	return good;
}

/*
 * bg_dns_reply on q[0..qlen) copied into a buffer of exactly qlen
 * bytes, out a buffer of BG_DNS_REPLY_MAX; the reply into m.  Checks
 * the length bound, and the ID and QR of a reply.
 */
static size_t
run(struct msg *m, const char *what, const uint8_t *q, size_t qlen,
    size_t udp_max)
{
	uint8_t *qc = malloc(qlen), *o = malloc(BG_DNS_REPLY_MAX);
	size_t n;

	if ((qc == NULL && qlen > 0) || o == NULL)
		abort();
	if (qlen > 0)
		memcpy(qc, q, qlen);
	memset(o, 0xa5, BG_DNS_REPLY_MAX);
	n = bg_dns_reply(qc, qlen, o, udp_max, lookup, (void *)table);
	if (!ok(n <= qlen + BG_DNS_GROWTH && n <= BG_DNS_REPLY_MAX,
		"%s: %zu bytes, at most qlen %zu + %d", what, n, qlen,
		BG_DNS_GROWTH))
		n = 0;
	if (n > 0)
		ok(n >= 12 && qlen >= 2 && o[0] == q[0] && o[1] == q[1] &&
			(o[2] & 0x80) != 0,
		    "%s: a response (QR) with the query's ID", what);
	m->n = n;
	memcpy(m->buf, o, n);
	free(qc);
	free(o);
	return n;
}

/* q gets no reply at all. */
static void
drop(const char *what, const uint8_t *q, size_t qlen)
{
	struct msg *m = malloc(sizeof(*m));

	if (m == NULL)
		abort();
	is_int(run(m, what, q, qlen, BG_DNS_UDP_EDNS), 0, "%s: dropped", what);
	free(m);
}

/*
 * The reply to q over udp_max parses and has the given rcode and
 * section counts; its ID, opcode, RD and question are the query's; RA
 * and TC are clear; AA is set when aa (the zone's own answers).  0 when
 * it does not parse.
 */
static int
expect(struct msg *m, const char *what, const struct w *q, size_t udp_max,
    bool aa, unsigned rcode, unsigned an, unsigned ns, unsigned ar)
{
	char t[NAME_TEXT];
	size_t qend = 12;
	unsigned qflags = get16(q->b, 2);
	int good;

	if (get_name(q->b, q->n, &qend, t) < 0 || q->n - qend < 4)
		abort(); /* the test's own query is wrong */
	qend += 4;
	run(m, what, q->b, q->n, udp_max);
	good = ok(parse(m) == 0, "%s: the reply parses", what);
	if (good) {
		ok(m->qd == 1 && m->qend == qend &&
			memcmp(m->buf + 12, q->b + 12, qend - 12) == 0,
		    "%s: the question echoed byte for byte", what);
		if (!ok(RCODE(m->flags) == rcode && m->an == an &&
			    m->ns == ns && m->ar == ar,
			"%s: rcode %u, %u/%u/%u records", what, rcode, an, ns,
			ar))
			printf("#   got rcode %u, %u/%u/%u records\n",
			    RCODE(m->flags), m->an, m->ns, m->ar);
		ok(OPCODE(m->flags) == OPCODE(qflags) &&
			(m->flags & F_RD) == (qflags & F_RD) &&
			!(m->flags & F_RA) && !(m->flags & F_TC),
		    "%s: opcode and RD copied, RA and TC clear (flags %04x)",
		    what, m->flags);
		if (aa)
			ok(m->flags & F_AA, "%s: AA", what);
	}
	return good;
}

/* A reply of one A record for ip, its owner a pointer to the question. */
static void
expect_a(const char *what, const struct w *q, size_t udp_max, const uint8_t *ip)
{
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, T_A, 0, C_IN, 0, 0, 0,
		BG_DNS_TTL, 0, 4 };
	struct msg *m = malloc(sizeof(*m));
	struct rr *r = &m->rr[0];

	if (m == NULL)
		abort();
	if (expect(m, what, q, udp_max, true, NOERROR, 1, 0, 0)) {
		ok(r->at == m->qend && m->n - r->at == sizeof(rr) + 4 &&
			memcmp(m->buf + r->at, rr, sizeof(rr)) == 0 &&
			memcmp(m->buf + r->rdata, ip, 4) == 0,
		    "%s: A %u.%u.%u.%u, TTL %d, owner 0xc00c", what, ip[0],
		    ip[1], ip[2], ip[3], BG_DNS_TTL);
	}
	free(m);
}

/* NOERROR or NXDOMAIN with no answer and the SOA in the authority. */
static void
expect_negative(const char *what, const struct w *q, unsigned rcode)
{
	struct msg *m = malloc(sizeof(*m));

	if (m == NULL)
		abort();
	if (expect(m, what, q, BG_DNS_UDP_EDNS, true, rcode, 0, 1, 0))
		ok(is_soa(m, &m->rr[0]), "%s: the zone's SOA in the authority",
		    what);
	free(m);
}

/* An error rcode, no records (and the question). */
static void
expect_error(const char *what, const struct w *q, size_t udp_max,
    unsigned rcode)
{
	struct msg *m = malloc(sizeof(*m));

	if (m == NULL)
		abort();
	expect(m, what, q, udp_max, false, rcode, 0, 0, 0);
	free(m);
}

static const uint8_t ip_alpha[4] = { 172, 16, 0, 2 };
static const uint8_t ip_b2[4] = { 172, 16, 0, 3 };

static void
test_answers(struct w *q, struct msg *m)
{
	struct w *e = malloc(sizeof(*e));
	static const unsigned other[] = { T_AAAA, T_MX, T_TXT, T_NS, 99, 0 };
	char what[100];
	size_t i;

	if (e == NULL)
		abort();
	/* The A record, byte for byte, the name as the client spelled it. */
	query(q, 0x1234, F_RD, "AlPhA.Vm", T_A, C_IN);
	*e = *q;
	set16(e, 2, F_QR | F_AA | F_RD);
	set16(e, 6, 1);
	put16(e, 0xc00c);
	put16(e, T_A);
	put16(e, C_IN);
	put32(e, BG_DNS_TTL);
	put16(e, 4);
	put(e, ip_alpha, 4);
	lookups = 0;
	run(m, "A AlPhA.Vm", q->b, q->n, BG_DNS_UDP_EDNS);
	if (!ok(m->n == e->n && memcmp(m->buf, e->b, e->n) == 0,
		"A AlPhA.Vm: the reply byte for byte"))
		for (i = 0; i < m->n; i++)
			printf("# %zu: %02x (want %02x)\n", i, m->buf[i],
			    i < e->n ? e->b[i] : 0);
	is_str(last_lookup, "alpha", "A AlPhA.Vm: looked up as alpha");
	is_int(lookups, 1, "A AlPhA.Vm: one lookup");
	expect_a("A AlPhA.Vm", q, BG_DNS_UDP_EDNS, ip_alpha);
	query(q, 0xbeef, 0, "alpha.vm.", T_A, C_IN);
	expect_a("A alpha.vm, RD clear", q, BG_DNS_UDP_EDNS, ip_alpha);
	query(q, 0, F_RD, "b-2.vm", T_A, C_IN);
	expect_a("A b-2.vm", q, BG_DNS_UDP_EDNS, ip_b2);
	query(q, 0xffff, F_RD, "ALPHA.VM", T_A, C_IN);
	expect_a("A ALPHA.VM", q, BG_DNS_UDP_EDNS, ip_alpha);
	query(q, 7, F_RD, "alpha.vm", T_ANY, C_IN);
	expect_a("ANY alpha.vm", q, BG_DNS_UDP_EDNS, ip_alpha);
	query(q, 8, F_RD, "alpha.vm", T_A, C_IN);
	expect_a("A alpha.vm over TCP", q, 0, ip_alpha);
	expect_a("A alpha.vm, udp_max 512", q, BG_DNS_UDP_PLAIN, ip_alpha);

	/* NODATA for a VM's other types. */
	for (i = 0; other[i] != 0; i++) {
		snprintf(what, sizeof(what), "type %u for alpha.vm", other[i]);
		query(q, 0x4242, F_RD, "alpha.vm", other[i], C_IN);
		expect_negative(what, q, NOERROR);
	}
	query(q, 0x4243, F_RD, "AlPhA.vM", T_AAAA, C_IN);
	expect_negative("AAAA AlPhA.vM", q, NOERROR);

	/* NXDOMAIN for any other name under vm. */
	query(q, 1, F_RD, "unknown.vm", T_A, C_IN);
	expect_negative("A unknown.vm", q, NXDOMAIN);
	query(q, 2, F_RD, "unknown.vm", T_AAAA, C_IN);
	expect_negative("AAAA unknown.vm", q, NXDOMAIN);
	query(q, 3, 0, "a.alpha.vm", T_A, C_IN);
	expect_negative("A a.alpha.vm", q, NXDOMAIN);
	query(q, 4, 0, "alpha.alpha.vm", T_ANY, C_IN);
	expect_negative("ANY alpha.alpha.vm", q, NXDOMAIN);
	query(q, 5, 0, "a_b.vm", T_A, C_IN);
	expect_negative("A a_b.vm (not a VM name)", q, NXDOMAIN);
	query(q, 6, 0, "-a.vm", T_A, C_IN);
	expect_negative("A -a.vm (not a VM name)", q, NXDOMAIN);
	/* A label with a NUL or a dot inside is not alpha. */
	header(q, 9, 0, 1, 0, 0, 0);
	PUTS(q,
	    "\x07"
	    "alpha\0x\x02vm\0\0\x01\0\x01");
	expect_negative("A alpha\\000x.vm", q, NXDOMAIN);
	header(q, 10, 0, 1, 0, 0, 0);
	PUTS(q,
	    "\x08"
	    "alpha.vm\x02vm\0\0\x01\0\x01");
	expect_negative("A alpha\\.vm.vm", q, NXDOMAIN);
	header(q, 11, 0, 1, 0, 0, 0);
	put_label(q, 63, 'a');
	put_name(q, "vm");
	put16(q, T_A);
	put16(q, C_IN);
	expect_negative("A <63 a>.vm", q, NXDOMAIN);

	/* The apex. */
	query(q, 0x5050, F_RD, "vm.", T_SOA, C_IN);
	if (expect(m, "SOA vm.", q, BG_DNS_UDP_EDNS, true, NOERROR, 1, 0, 0))
		ok(is_soa(m, &m->rr[0]), "SOA vm.: the zone's SOA");
	query(q, 0x5051, 0, "VM", T_SOA, C_IN);
	if (expect(m, "SOA VM", q, 0, true, NOERROR, 1, 0, 0))
		ok(is_soa(m, &m->rr[0]) && get16(m->buf, m->rr[0].at) == 0xc00c,
		    "SOA VM: the zone's SOA, owner 0xc00c");
	query(q, 0x5052, F_RD, "vm", T_A, C_IN);
	expect_negative("A vm. (NODATA)", q, NOERROR);
	query(q, 0x5053, F_RD, "vm", T_NS, C_IN);
	expect_negative("NS vm. (NODATA)", q, NOERROR);
	free(e);
}

static void
test_refusals(struct w *q)
{
	static const char *const outside[] = { "example.com", ".", "vmx.",
		"avm.", "alpha.vmx", "vm.example.com", "alpha.vm.com", "com",
		NULL };
	char what[100];
	size_t i;

	for (i = 0; outside[i] != NULL; i++) {
		snprintf(what, sizeof(what), "A %s", outside[i]);
		query(q, 0x6000 + (unsigned)i, F_RD, outside[i], T_A, C_IN);
		expect_error(what, q, BG_DNS_UDP_EDNS, REFUSED);
	}
	/* The label "alpha.vm" under the root is not alpha.vm. */
	header(q, 0x6100, 0, 1, 0, 0, 0);
	PUTS(q,
	    "\x08"
	    "alpha.vm\0\0\x01\0\x01");
	expect_error("A alpha\\.vm.", q, BG_DNS_UDP_EDNS, REFUSED);
	query(q, 0x6101, F_RD, "alpha.vm", T_A, C_CH);
	expect_error("A alpha.vm class CH", q, BG_DNS_UDP_EDNS, REFUSED);
	query(q, 0x6102, F_RD, "version.bind", T_TXT, C_CH);
	expect_error("TXT version.bind class CH", q, BG_DNS_UDP_EDNS, REFUSED);
	query(q, 0x6103, F_RD, "vm", T_SOA, C_ANY);
	expect_error("SOA vm. class ANY", q, BG_DNS_UDP_EDNS, REFUSED);
	query(q, 0x6104, 0, "vm", T_AXFR, C_IN);
	expect_error("AXFR vm.", q, BG_DNS_UDP_EDNS, REFUSED);
	expect_error("AXFR vm. over TCP", q, 0, REFUSED);
	query(q, 0x6105, 0, "vm", T_IXFR, C_IN);
	expect_error("IXFR vm.", q, BG_DNS_UDP_EDNS, REFUSED);
	expect_error("IXFR vm. over TCP", q, 0, REFUSED);
	query(q, 0x6106, 0, "alpha.vm", T_AXFR, C_IN);
	expect_error("AXFR alpha.vm", q, 0, REFUSED);

	query(q, 0x6200, F_RD, "err.vm", T_A, C_IN);
	expect_error("A err.vm (lookup fails)", q, BG_DNS_UDP_EDNS, SERVFAIL);
	query(q, 0x6201, F_RD, "err.vm", T_AAAA, C_IN);
	expect_error("AAAA err.vm (lookup fails)", q, BG_DNS_UDP_EDNS,
	    SERVFAIL);
}

static void
test_notimp(struct w *q, struct msg *m)
{
	static const unsigned opcodes[] = { 1, 2, 4, 15 };
	char what[100];
	size_t i;

	for (i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++) {
		snprintf(what, sizeof(what), "opcode %u", opcodes[i]);
		query(q, 0x7000 + opcodes[i], opcodes[i] << 11 | F_RD,
		    "alpha.vm", T_A, C_IN);
		run(m, what, q->b, q->n, BG_DNS_UDP_EDNS);
		if (ok(parse(m) == 0 && m->n == 12, "%s: header only", what))
			ok(RCODE(m->flags) == NOTIMP &&
				OPCODE(m->flags) == opcodes[i] && m->qd == 0 &&
				m->an == 0 && m->ns == 0 && m->ar == 0 &&
				!(m->flags & F_TC),
			    "%s: NOTIMP, opcode echoed, no sections (flags "
			    "%04x)",
			    what, m->flags);
	}
}

static void
test_edns(struct w *q, struct msg *m)
{
	struct w *e = malloc(sizeof(*e));
	size_t i, cut;

	if (e == NULL)
		abort();
	/* The A record and our OPT, byte for byte. */
	query(q, 0x8001, F_RD, "alpha.vm", T_A, C_IN);
	opt(q, 4096, 0, true);
	*e = *q;
	e->n = 12 + 10 + 4;
	set16(e, 2, F_QR | F_AA | F_RD);
	set16(e, 6, 1);
	put16(e, 0xc00c);
	put16(e, T_A);
	put16(e, C_IN);
	put32(e, BG_DNS_TTL);
	put16(e, 4);
	put(e, ip_alpha, 4);
	put8(e, 0);
	put16(e, T_OPT);
	put16(e, BG_DNS_UDP_EDNS);
	put32(e, 0x8000);
	put16(e, 0);
	run(m, "A alpha.vm, EDNS DO", q->b, q->n, BG_DNS_UDP_EDNS);
	if (!ok(m->n == e->n && memcmp(m->buf, e->b, e->n) == 0,
		"A alpha.vm, EDNS DO: the reply byte for byte"))
		for (i = 0; i < m->n; i++)
			printf("# %zu: %02x (want %02x)\n", i, m->buf[i],
			    i < e->n ? e->b[i] : 0);
	if (expect(m, "A alpha.vm, EDNS DO", q, BG_DNS_UDP_EDNS, true, NOERROR,
		1, 0, 1))
		ok(m->rr[0].type == T_A && is_opt(&m->rr[1], 0, true),
		    "A alpha.vm, EDNS DO: A, OPT 1232 with DO");
	query(q, 0x8002, F_RD, "alpha.vm", T_A, C_IN);
	opt(q, 512, 0, false);
	if (expect(m, "A alpha.vm, EDNS 512", q, BG_DNS_UDP_EDNS, true, NOERROR,
		1, 0, 1))
		ok(m->rr[0].type == T_A && is_opt(&m->rr[1], 0, false),
		    "A alpha.vm, EDNS 512: A, OPT 1232 without DO");
	query(q, 0x8003, F_RD, "nope.vm", T_A, C_IN);
	opt(q, 1232, 0, true);
	if (expect(m, "A nope.vm, EDNS", q, BG_DNS_UDP_EDNS, true, NXDOMAIN, 0,
		1, 1))
		ok(is_soa(m, &m->rr[0]) && is_opt(&m->rr[1], 0, true),
		    "A nope.vm, EDNS: SOA, OPT");
	query(q, 0x8004, F_RD, "example.com", T_A, C_IN);
	opt(q, 1232, 0, false);
	if (expect(m, "A example.com, EDNS", q, BG_DNS_UDP_EDNS, false, REFUSED,
		0, 0, 1))
		ok(is_opt(&m->rr[0], 0, false), "A example.com, EDNS: OPT");

	/* BADVERS: extended rcode 16, the top byte of the OPT's TTL 1. */
	query(q, 0x8005, F_RD, "alpha.vm", T_A, C_IN);
	opt(q, 1232, 1, true);
	if (expect(m, "EDNS version 1", q, BG_DNS_UDP_EDNS, false, 0, 0, 0, 1))
		ok(is_opt(&m->rr[0], 1, true),
		    "EDNS version 1: BADVERS (OPT extended rcode 1, version 0)");
	query(q, 0x8006, 0, "nope.vm", T_A, C_IN);
	opt(q, 1232, 255, false);
	if (expect(m, "EDNS version 255", q, BG_DNS_UDP_EDNS, false, 0, 0, 0,
		1))
		ok(is_opt(&m->rr[0], 1, false), "EDNS version 255: BADVERS");

	/* FORMERR: two OPTs, an OPT not owned by the root. */
	query(q, 0x8007, F_RD, "alpha.vm", T_A, C_IN);
	opt(q, 1232, 0, false);
	opt(q, 1232, 0, false);
	run(m, "two OPTs", q->b, q->n, BG_DNS_UDP_EDNS);
	ok(parse(m) == 0 && RCODE(m->flags) == FORMERR && m->an == 0 &&
		m->ns == 0,
	    "two OPTs: FORMERR, no answer");
	query(q, 0x8008, F_RD, "alpha.vm", T_A, C_IN);
	opt_rr(q, "a", 1232, 0, false, 0);
	run(m, "OPT owned by a.", q->b, q->n, BG_DNS_UDP_EDNS);
	ok(parse(m) == 0 && RCODE(m->flags) == FORMERR && m->an == 0 &&
		m->ns == 0,
	    "OPT owned by a.: FORMERR, no answer");
	query(q, 0x8009, F_RD, "alpha.vm", T_A, C_IN);
	opt_rr(q, "alpha.vm", 1232, 0, false, 0);
	run(m, "OPT owned by alpha.vm.", q->b, q->n, BG_DNS_UDP_EDNS);
	ok(parse(m) == 0 && RCODE(m->flags) == FORMERR && m->an == 0 &&
		m->ns == 0,
	    "OPT owned by alpha.vm.: FORMERR, no answer");

	/* An OPT (with an option of 8 bytes) cut anywhere: no reply, or
	 * FORMERR. */
	query(q, 0x800a, F_RD, "alpha.vm", T_A, C_IN);
	opt_rr(q, NULL, 1232, 0, false, 8);
	for (cut = 12 + 14; cut < q->n; cut++) {
		char what[64];

		snprintf(what, sizeof(what), "OPT cut at %zu of %zu", cut,
		    q->n);
		run(m, what, q->b, cut, BG_DNS_UDP_EDNS);
		ok(m->n == 0 || (parse(m) == 0 && RCODE(m->flags) == FORMERR),
		    "%s: dropped or FORMERR", what);
	}

	/* A query of exactly BG_DNS_QUERY_MAX bytes is answered. */
	query(q, 0x800b, F_RD, "alpha.vm", T_A, C_IN);
	opt_rr(q, NULL, 1232, 0, false, BG_DNS_QUERY_MAX - 26 - 15);
	is_int(q->n, BG_DNS_QUERY_MAX, "a padded query of BG_DNS_QUERY_MAX");
	if (expect(m, "padded query of BG_DNS_QUERY_MAX", q, BG_DNS_UDP_EDNS,
		true, NOERROR, 1, 0, 1))
		ok(is_opt(&m->rr[1], 0, false),
		    "padded query: our OPT, without the padding");
	free(e);
}

static void
test_truncation(struct w *q, struct msg *m)
{
	struct msg *m2 = malloc(sizeof(*m2));
	static const char *const names[] = { "alpha.vm", "unknown.vm", "vm",
		NULL };
	static const unsigned types[] = { T_A, T_A, T_SOA };
	size_t i;

	if (m2 == NULL)
		abort();
	/* 26 bytes of query, 42 of reply. */
	query(q, 0x9001, F_RD, "alpha.vm", T_A, C_IN);
	run(m, "udp_max 40", q->b, q->n, 40);
	if (ok(parse(m) == 0, "udp_max 40: the reply parses"))
		ok(m->n == q->n && (m->flags & F_TC) && (m->flags & F_QR) &&
			m->an == 0 && m->ns == 0 && m->ar == 0 &&
			memcmp(m->buf + 12, q->b + 12, 14) == 0,
		    "udp_max 40: TC, the header and the question only (%zu "
		    "bytes, flags %04x)",
		    m->n, m->flags);
	run(m, "udp_max 41", q->b, q->n, 41);
	ok(m->n == q->n && (m->buf[2] & 0x02),
	    "udp_max 41: TC, header and question");
	expect_a("udp_max 42 (exactly the reply)", q, 42, ip_alpha);
	expect_a("udp_max 0 (TCP)", q, 0, ip_alpha);

	/* With EDNS: the answer and the authority go. */
	query(q, 0x9002, F_RD, "alpha.vm", T_A, C_IN);
	opt(q, 4096, 0, false);
	run(m, "EDNS, udp_max 50", q->b, q->n, 50);
	if (ok(parse(m) == 0, "EDNS, udp_max 50: the reply parses"))
		ok((m->flags & F_TC) && m->an == 0 && m->ns == 0 &&
			m->ar <= 1 && m->qend == 26 &&
			memcmp(m->buf + 12, q->b + 12, 14) == 0,
		    "EDNS, udp_max 50: TC, no answer (flags %04x, %u "
		    "additional)",
		    m->flags, m->ar);

	/* TCP and a roomy UDP give the same reply, never truncated. */
	for (i = 0; names[i] != NULL; i++) {
		char what[64];

		snprintf(what, sizeof(what), "type %u %s over TCP", types[i],
		    names[i]);
		query(q, 0x9100 + (unsigned)i, F_RD, names[i], types[i], C_IN);
		run(m, what, q->b, q->n, 0);
		run(m2, what, q->b, q->n, BG_DNS_UDP_EDNS);
		ok(m->n > 0 && m->n == m2->n &&
			memcmp(m->buf, m2->buf, m->n) == 0 &&
			!(m->buf[2] & 0x02),
		    "%s: as over UDP, TC clear", what);
	}
	free(m2);
}

static void
test_drops(struct w *q)
{
	struct w *g = malloc(sizeof(*g));
	char what[64];
	size_t cut, i;

	if (g == NULL)
		abort();
	query(g, 0xa000, F_RD, "alpha.vm", T_A, C_IN);
	drop("an empty query", g->b, 0);
	drop("1 byte", g->b, 1);
	drop("11 bytes", g->b, 11);
	for (cut = 12; cut < g->n; cut++) {
		snprintf(what, sizeof(what), "question cut at %zu of %zu", cut,
		    g->n);
		drop(what, g->b, cut);
	}
	*q = *g;
	put8(q, 0);
	drop("a byte after the question", q->b, q->n);
	*q = *g;
	opt(q, 1232, 0, false);
	put8(q, 0);
	drop("a byte after the OPT", q->b, q->n);

	*q = *g;
	set16(q, 2, F_QR | F_RD);
	drop("QR set", q->b, q->n);
	*q = *g;
	set16(q, 2, F_TC | F_RD);
	drop("TC set", q->b, q->n);
	header(q, 0xa001, F_RD, 0, 0, 0, 0);
	drop("qdcount 0", q->b, q->n);
	header(q, 0xa002, F_RD, 0, 0, 0, 1);
	put8(q, 0);
	put16(q, T_OPT);
	put16(q, 1232);
	put32(q, 0);
	put16(q, 0);
	drop("qdcount 0 with an OPT", q->b, q->n);
	*q = *g;
	set16(q, 4, 2);
	put_name(q, "b-2.vm");
	put16(q, T_A);
	put16(q, C_IN);
	drop("qdcount 2", q->b, q->n);
	*q = *g;
	set16(q, 4, 2);
	drop("qdcount 2, one question", q->b, q->n);
	for (i = 6; i <= 8; i += 2) {
		*q = *g;
		set16(q, i, 1);
		put16(q, 0xc00c);
		put16(q, T_A);
		put16(q, C_IN);
		put32(q, 5);
		put16(q, 4);
		put(q, ip_alpha, 4);
		snprintf(what, sizeof(what), "%s 1",
		    i == 6 ? "ancount" : "nscount");
		drop(what, q->b, q->n);
		*q = *g;
		set16(q, i, 1);
		snprintf(what, sizeof(what), "%s 1, no record",
		    i == 6 ? "ancount" : "nscount");
		drop(what, q->b, q->n);
	}

	/* Names. */
	header(q, 0xa003, F_RD, 1, 0, 0, 0);
	PUTS(q,
	    "\x05"
	    "alpha\xc0\x0c\0\x01\0\x01");
	drop("a compression pointer in the question", q->b, q->n);
	header(q, 0xa004, F_RD, 1, 0, 0, 0);
	PUTS(q, "\xc0\x0c\0\x01\0\x01");
	drop("a question name that is a pointer to itself", q->b, q->n);
	header(q, 0xa005, F_RD, 1, 0, 0, 0);
	PUTS(q,
	    "\x05"
	    "alpha\x40\x02vm\0\0\x01\0\x01");
	drop("a label type 0x40", q->b, q->n);
	header(q, 0xa006, F_RD, 1, 0, 0, 0);
	PUTS(q,
	    "\x05"
	    "alpha\x80\x02vm\0\0\x01\0\x01");
	drop("a label type 0x80", q->b, q->n);
	header(q, 0xa007, F_RD, 1, 0, 0, 0);
	put_label(q, 64, 'a');
	put_name(q, "vm");
	put16(q, T_A);
	put16(q, C_IN);
	drop("a label of 64 bytes", q->b, q->n);
	header(q, 0xa008, F_RD, 1, 0, 0, 0);
	for (i = 0; i < 5; i++)
		put_label(q, 63, 'a');
	put_name(q, "vm");
	put16(q, T_A);
	put16(q, C_IN);
	drop("a name of 324 bytes", q->b, q->n);
	/* 3 * 64 + 1 + 59 + 3 + 1 = 256 bytes, then 255. */
	header(q, 0xa009, F_RD, 1, 0, 0, 0);
	for (i = 0; i < 3; i++)
		put_label(q, 63, 'a');
	put_label(q, 59, 'b');
	put_name(q, "vm");
	put16(q, T_A);
	put16(q, C_IN);
	is_int(q->n, 12 + 256 + 4, "a name of 256 bytes");
	drop("a name of 256 bytes", q->b, q->n);
	header(q, 0xa00a, F_RD, 1, 0, 0, 0);
	for (i = 0; i < 3; i++)
		put_label(q, 63, 'a');
	put_label(q, 58, 'b');
	put_name(q, "vm");
	put16(q, T_A);
	put16(q, C_IN);
	expect_negative("a name of 255 bytes", q, NXDOMAIN);

	/* BG_DNS_QUERY_MAX + 1 bytes, padded: dropped. */
	*q = *g;
	opt_rr(q, NULL, 1232, 0, false, BG_DNS_QUERY_MAX - 26 - 15 + 1);
	is_int(q->n, BG_DNS_QUERY_MAX + 1, "a query of BG_DNS_QUERY_MAX + 1");
	drop("a query of BG_DNS_QUERY_MAX + 1", q->b, q->n);
	free(g);
}

int
main(void)
{
	struct w *q = malloc(sizeof(*q));
	struct msg *m = malloc(sizeof(*m));

	if (q == NULL || m == NULL)
		return 111;
	test_answers(q, m);
	test_refusals(q);
	test_notimp(q, m);
	test_edns(q, m);
	test_truncation(q, m);
	test_drops(q);
	is_int(bad_lookups, 0, "the lookup only ever got valid VM names");
	free(q);
	free(m);
	return done_testing();
}
