/*
 * host-dns.c — the DNS servers a guest should use: the host's upstream
 * IPv4 resolvers from /etc/resolv.conf, without loopback ones
 * (127.0.0.53 of systemd-resolved, a local dnsmasq: unreachable from
 * a guest).  With none left, the bridge address (172.16.0.1), where
 * banger's own DNS answers (docs/network.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banger.h"

int
bg_host_dns(char *buf, size_t n)
{
	char *text, *line, *save = NULL;
	size_t len, o = 0;
	int count = 0;

	if (n < 16)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (bg_read_file(AT_FDCWD, "/etc/resolv.conf", 65536, &text, &len) ==
	    0) {
		for (line = strtok_r(text, "\n", &save); line && count < 3;
		     line = strtok_r(NULL, "\n", &save)) {
			char ip[64];
			struct in_addr a;

			if (sscanf(line, " nameserver %63s", ip) != 1 ||
			    inet_pton(AF_INET, ip, &a) != 1 ||
			    (ntohl(a.s_addr) >> 24) == 127 || a.s_addr == 0)
				continue;
			if (o + strlen(ip) + 2 > n)
				break;
			o += (size_t)snprintf(buf + o, n - o, "%s%s",
			    count ? "," : "", ip);
			count++;
		}
		free(text);
	}
	if (count == 0)
		snprintf(buf, n, "%s", BG_BRIDGE_ADDR);
	return 0;
}
