/*
 * net-nft.c — banger's own nftables table and ip_forward.
 *
 * One table, `ip banger`, replaced as a whole in one atomic
 * transaction (libnftables: the same parser and netlink batch as
 * `nft -f`), so running it twice, or after a crash half-way, always
 * ends in the same ruleset and never touches anyone else's tables.
 * libnftables is the right tool here: no rule encoding by hand, and no
 * `nft` binary to find and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "banger.h"

int
bg_net_ip_forward(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = bg_write_all(fd, "1\n", 2);
	close(fd);
	return r;
}

int
bg_net_nft_ensure(const char *bridge, const char *subnet, struct bg_err *err)
{
	char rules[2048];
	struct nft_ctx *nft;
	const char *out;
	int r;

	snprintf(rules, sizeof(rules),
	    "table ip banger\ndelete table ip banger\n"
	    "table ip banger {\n  chain postrouting {\n"
	    "    type nat hook postrouting priority srcnat; policy accept;\n"
	    "    ip saddr %s ip daddr != %s masquerade\n"
	    "  }\n  chain forward {\n"
	    "    type filter hook forward priority filter; policy accept;\n"
	    "    iifname \"%s\" ip saddr %s accept\n    iifname \"%s\" drop\n"
	    "    oifname \"%s\" ct state established,related accept\n"
	    "    oifname \"%s\" drop\n  }\n}\n",
	    subnet, subnet, bridge, subnet, bridge, bridge, bridge);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL) {
		bg_err_set(err, "temporary",
		    "cannot create an nftables context");
		return -ENOMEM;
	}
	nft_ctx_buffer_error(nft);
	nft_ctx_buffer_output(nft);
	r = nft_run_cmd_from_buffer(nft, rules);
	if (r != 0) {
		out = nft_ctx_get_error_buffer(nft);
		bg_err_set(err, "temporary",
		    "nftables refused banger's table: %.400s",
		    out ? out : "(no message)");
		nft_ctx_free(nft);
		return -EIO;
	}
	nft_ctx_free(nft);
	return 0;
}
