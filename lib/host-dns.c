/*
 * host-dns.c — the DNS servers a guest should use: the host's upstream
 * IPv4 resolvers from /etc/resolv.conf, without loopback ones
 * (127.0.0.53 of systemd-resolved, a local dnsmasq: unreachable from
 * a guest); on a host whose resolv.conf names only systemd-resolved's
 * stub, the servers resolved itself uses.  With none left, the bridge
 * address (172.16.0.1), where banger's own DNS answers (docs/network.md).
 *
 * What a guest is given (bg_guest_dns): the bridge address first, then
 * up to two of those.  dns-answer answers .vm there and REFUSES every
 * other name, and a resolver that is refused asks the next server
 * (glibc, musl, Go, c-ares all do): siblings' NAME.vm resolve, the rest
 * goes upstream (docs/dns-routing.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"

/* Up to max non-loopback IPv4 nameservers of file into buf at *o. */
static int
servers(const char *file, char *buf, size_t n, size_t *o, int count, int max)
{
	char *text, *line, *save = NULL;
	size_t len;

	if (bg_read_file(AT_FDCWD, file, 65536, &text, &len) < 0)
		return count;
	for (line = strtok_r(text, "\n", &save); line && count < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char ip[64];
		struct in_addr a;

		if (sscanf(line, " nameserver %63s", ip) != 1 ||
		    inet_pton(AF_INET, ip, &a) != 1 ||
		    (ntohl(a.s_addr) >> 24) == 127 || a.s_addr == 0 ||
		    strcmp(ip, BG_BRIDGE_ADDR) == 0)
			continue;
		if (*o + strlen(ip) + 2 > n)
			break;
		*o += (size_t)snprintf(buf + *o, n - *o, "%s%s", *o ? "," : "",
		    ip);
		count++;
	}
	free(text);
	return count;
}

int
bg_host_dns(char *buf, size_t n)
{
	size_t o = 0;
	int count;

	if (n < 16)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	count = servers("/etc/resolv.conf", buf, n, &o, 0, 3);
	/*
	 * A stub resolver only (systemd-resolved's 127.0.0.53): the
	 * servers it uses, from the file it keeps for exactly this
	 * (systemd-resolved(8)).
	 */
	if (count == 0)
		count = servers("/run/systemd/resolve/resolv.conf", buf, n, &o,
		    0, 3);
	if (count == 0)
		snprintf(buf, n, "%s", BG_BRIDGE_ADDR);
	return 0;
}

int
bg_guest_dns(char *buf, size_t n)
{
	char up[128], *save = NULL, *s;
	size_t o;
	int k = 0;

	if (n < 16)
		return -ENAMETOOLONG;
	bg_host_dns(up, sizeof(up));
	o = (size_t)snprintf(buf, n, "%s", BG_BRIDGE_ADDR);
	for (s = strtok_r(up, ",", &save); s != NULL && k < 2;
	     s = strtok_r(NULL, ",", &save)) {
		if (strcmp(s, BG_BRIDGE_ADDR) == 0 || o + strlen(s) + 2 > n)
			continue;
		o += (size_t)snprintf(buf + o, n - o, ",%s", s);
		k++;
	}
	return 0;
}
