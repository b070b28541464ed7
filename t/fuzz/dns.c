/*
 * dns.c — a libFuzzer target for bg_dns_reply (lib/dns.c, lib/dns.h).
 * Built by the Makefile as build/fuzz/dns:
 *
 *   clang -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *       -Ilib t/fuzz/dns.c lib/dns.c
 *
 * The input's first byte picks udp_max (0: TCP; else 12..1232), the
 * rest is the query, in a buffer of exactly its length (libFuzzer's
 * copy), so ASan sees any read past it.  Besides the sanitizers, the
 * target aborts when the reply breaks lib/dns.h: longer than
 * BG_DNS_REPLY_MAX or than the query + BG_DNS_GROWTH, a reply that is
 * not a response (QR clear) or has another ID than the query, a UDP
 * reply longer than udp_max without TC, or a lookup asked about
 * something that is not a valid lower-case VM name.  t/0061-dns-fuzz.t
 * runs it on t/fuzz/seeds for a bounded time.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lib/name.c's rule: [a-z0-9][a-z0-9-]{0,62}. */
static bool
vm_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 63 ||
		    !((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i > 0)))
			return false;
	return i > 0;
}

static int zone; /* the lookup's ctx */

/* alpha and b-2 exist, err cannot be told, the rest does not exist. */
static int
lookup(void *ctx, const char *name, uint32_t *ip)
{
	static const uint8_t alpha[4] = { 172, 16, 0, 2 };
	static const uint8_t b2[4] = { 172, 16, 0, 3 };

	if (ctx != &zone || !vm_name(name))
		abort();
	if (strcmp(name, "alpha") == 0) {
		memcpy(ip, alpha, 4);
		return 1;
	}
	if (strcmp(name, "b-2") == 0) {
		memcpy(ip, b2, 4);
		return 1;
	}
	if (strcmp(name, "err") == 0)
		return -EIO;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[BG_DNS_REPLY_MAX];
	const uint8_t *q;
	size_t qlen, udp_max, n;

	if (size < 1)
		return 0;
	/* 0: TCP; 1: 512; 2: 1232; 3..255: 12..1232 in steps of ~5. */
	if (data[0] == 0)
		udp_max = 0;
	else if (data[0] == 1)
		udp_max = BG_DNS_UDP_PLAIN;
	else if (data[0] == 2)
		udp_max = BG_DNS_UDP_EDNS;
	else
		udp_max =
		    12 + (size_t)(data[0] - 3) * (BG_DNS_UDP_EDNS - 12) / 252;
	q = data + 1;
	qlen = size - 1;
	n = bg_dns_reply(q, qlen, out, udp_max, lookup, &zone);
	if (n > BG_DNS_REPLY_MAX || n > qlen + BG_DNS_GROWTH)
		abort();
	if (n == 0)
		return 0;
	if (n < 12 || qlen < 2 || out[0] != q[0] || out[1] != q[1] ||
	    !(out[2] & 0x80))
		abort();
	if (udp_max != 0 && n > udp_max && !(out[2] & 0x02))
		abort();
	return 0;
}
