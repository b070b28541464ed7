/*
 * net-nft.c — banger's own nftables tables and ip_forward: the guest
 * network policy (docs/network.md, "What a guest may reach").
 *
 * Three tables: `inet banger` (NAT, and what guests may reach through
 * and on the host), `arp banger` (no ARP to the host but the bridge's)
 * and `bridge banger` (what a guest may send at all: its own MAC and
 * address, IPv4 and ARP only), each replaced as a whole in
 * one atomic transaction (libnftables: the same parser and netlink
 * batch as `nft -f`), so running it twice, or after a crash half-way,
 * always ends in the same ruleset and never touches anyone else's
 * tables.  libnftables is the right tool here: no rule encoding by
 * hand, and no `nft` binary to find and exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "banger.h"

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"
#define FORWARD_SAVED "ip_forward.saved"

/*
 * Destinations a guest may not reach unless allow_lan: the private,
 * shared, loopback, "this network", benchmarking, multicast and
 * reserved ranges (RFC 6890).  The
 * bridge's own subnet is layer 2, but a host with br_netfilter loaded
 * (bridge-nf-call-iptables: Docker, Kubernetes) passes bridged IPv4
 * through the forward hook too, in and out of br-fc: accepted first,
 * since the bridge table has already held each guest to its own
 * addresses.
 */
static const char lan[] = "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, "
			  "127.0.0.0/8, 172.16.0.0/12, 192.0.0.0/24, "
			  "192.168.0.0/16, 198.18.0.0/15, 224.0.0.0/3";
/*
 * Never, whatever allow_lan says (DNS to a resolver among them aside):
 * link-local, where clouds put their metadata services (AWS, GCP,
 * Azure IMDS, OpenStack, Oracle: 169.254.169.254), Azure's WireServer
 * (168.63.129.16, guarded on the host only by an OUTPUT rule that
 * forwarded traffic never passes) and Alibaba's metadata service
 * (100.100.100.200).
 */
static const char never[] = "169.254.0.0/16, 168.63.129.16, 100.100.100.200";

/* Run rules through libnftables; err says what nftables said. */
static int
nft_apply(const char *rules, const char *what, struct bg_err *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *out;
	int r;

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
		bg_err_set(err, "temporary", "nftables refused %s: %.400s",
		    what, out ? out : "(no message)");
	}
	nft_ctx_free(nft);
	return r != 0 ? -EIO : 0;
}

/*
 * Every slot's tap and MAC (and address), as set elements: each VM's
 * identity follows from its slot (bg_vm_derive), so the sets are fixed.
 */
static void
slots(FILE *f, bool with_ip)
{
	struct bg_vm v;
	int i;

	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX; i++) {
		memset(&v, 0, sizeof(v));
		v.slot = i;
		if (bg_vm_derive(&v) < 0)
			continue;
		fprintf(f, "%s\n      \"%s\" . %s%s%s",
		    i == BG_NET_INDEX_MIN ? "" : ",", v.tap, v.mac,
		    with_ip ? " . " : "", with_ip ? v.ip : "");
	}
}

#define BR "\"" BG_BRIDGE "\""
#define TAPS "\"" BG_TAP_PREFIX "*\""

/* The ruleset text for policy p, upstream DNS servers dns ("a,b"). */
static char *
ruleset(const struct bg_net_policy *p, const char *dns)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	/* banger's tables of earlier versions go too. */
	fputs("table ip banger\ndelete table ip banger\n"
	      "table inet banger\ndelete table inet banger\n"
	      "table arp banger\ndelete table arp banger\n",
	    f);
	fprintf(f,
	    "table inet banger {\n"
	    "  set lan {\n    type ipv4_addr; flags interval;\n"
	    "    elements = { %s }\n  }\n"
	    "  set never {\n    type ipv4_addr; flags interval;\n"
	    "    elements = { %s }\n  }\n"
	    "  set dns {\n    type ipv4_addr;\n    elements = { %s }\n  }\n"
	    /* Each guest's rate to dns-answer (the input chain). */
	    "  set dnsrate {\n    type ipv4_addr; size 512;\n"
	    "    flags dynamic,timeout; timeout 10s;\n  }\n",
	    lan, never, dns);
	fputs("  chain postrouting {\n"
	      "    type nat hook postrouting priority srcnat; policy accept;\n"
	      "    ip saddr " BG_SUBNET " ip daddr != " BG_SUBNET
	      " masquerade\n  }\n"
	      /*
	       * Nothing is taken from a tap itself: guests' traffic comes
	       * in as br-fc's.  What arrives as the tap's is what the
	       * bridge passed up without its own hooks (frames to the
	       * reserved group MACs 01:80:c2:00:00:0X), and with them
	       * anything a guest could forge.
	       */
	      "  chain input {\n"
	      "    type filter hook input priority filter; policy accept;\n"
	      "    iifname " TAPS " drop\n"
	      /*
	       * The bridge address is the guests' side of the host: from
	       * any other interface (a LAN neighbour routing the subnet
	       * here), nothing reaches it; dns-answer listens there.
	       */
	      "    iifname != { \"lo\", " BR " } ip daddr " BG_BRIDGE_ADDR
	      " drop\n"
	      /*
	       * Every guest asks dns-answer first for every name: one
	       * guest's flood must not make the others' queries time out.
	       * 1000 packets a second per guest, bursts of 2000, is far
	       * above any resolver's use and far below dns-answer's rate.
	       * Before the established rule: a flood on a socket that got
	       * one answer is an established flow.
	       */
	      "    iifname " BR " ip daddr " BG_BRIDGE_ADDR
	      " meta l4proto { tcp, udp } th dport 53"
	      " update @dnsrate { ip saddr limit rate over 1000/second"
	      " burst 2000 packets } counter drop\n"
	      /* To the host itself: replies, DNS and ping on the bridge address. */
	      "    iifname " BR " ct state established,related accept\n"
	      "    iifname " BR " ip daddr " BG_BRIDGE_ADDR
	      " meta l4proto { tcp, udp } th dport 53 accept\n"
	      "    iifname " BR " ip daddr " BG_BRIDGE_ADDR
	      " icmp type echo-request accept\n"
	      "    iifname " BR " drop\n  }\n"
	      /* Through the host: never the metadata services, the LAN only if allowed. */
	      "  chain forward {\n"
	      "    type filter hook forward priority filter; policy accept;\n"
	      "    iifname " TAPS " drop\n"
	      "    iifname " BR " oifname " BR " accept\n"
	      "    iifname " BR " ip saddr " BG_SUBNET
	      " ip daddr @dns meta l4proto { tcp, udp } th dport 53 accept\n"
	      "    iifname " BR " ip daddr @never drop\n",
	    f);
	if (!p->allow_lan)
		fputs("    iifname " BR " ip daddr @lan drop\n", f);
	fputs("    iifname " BR " ip saddr " BG_SUBNET " accept\n"
	      "    iifname " BR " drop\n"
	      "    oifname " BR " ct state established,related accept\n"
	      "    oifname " BR " drop\n  }\n}\n"
	      /* ARP to the host, likewise: only as the bridge's. */
	      "table arp banger {\n  chain input {\n"
	      "    type filter hook input priority filter; policy accept;\n"
	      "    iifname " TAPS " drop\n  }\n}\n",
	    f);
	/*
	 * What a guest may send, checked on its tap as the frame enters
	 * the bridge (so between guests too): its own MAC, and with it its
	 * own address (ARP probes from 0.0.0.0 aside); IPv4 and ARP only,
	 * unless ipv6.  Slot N: bgtapN, 06:00:ac:10:00:NN, 172.16.0.N
	 * (lib/vm.c).
	 */
	fputs("table bridge banger\ndelete table bridge banger\n"
	      "table bridge banger {\n"
	      "  set macs {\n    type ifname . ether_addr;\n"
	      "    elements = {",
	    f);
	slots(f, false);
	fputs(" }\n  }\n"
	      "  set ids {\n    type ifname . ether_addr . ipv4_addr;\n"
	      "    elements = {",
	    f);
	slots(f, true);
	fputs(" }\n  }\n"
	      "  chain prerouting {\n"
	      "    type filter hook prerouting priority filter; policy accept;\n"
	      "    iifname != " TAPS " accept\n"
	      "    iifname . ether saddr != @macs drop\n"
	      "    ether type ip iifname . ether saddr . ip saddr != @ids drop\n"
	      "    ether type arp arp saddr ip 0.0.0.0 accept\n"
	      "    ether type arp iifname . arp saddr ether . arp saddr ip "
	      "!= @ids drop\n",
	    f);
	if (p->ipv6)
		fputs("    ether type ip6 accept\n", f);
	fputs("    ether type != { ip, arp } drop\n  }\n}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
bg_net_nft_ensure(const struct bg_net_policy *p, const char *dns,
    struct bg_err *err)
{
	char *rules = ruleset(p, dns);
	int r;

	if (rules == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = nft_apply(rules, "banger's tables", err);
	free(rules);
	return r;
}

int
bg_net_nft_remove(struct bg_err *err)
{
	return nft_apply("table ip banger\ndelete table ip banger\n"
			 "table inet banger\ndelete table inet banger\n"
			 "table arp banger\ndelete table arp banger\n"
			 "table bridge banger\ndelete table bridge banger\n",
	    "removing banger's tables", err);
}

/* The run directory of root's own state (/run/banger-root), made if missing. */
static int
rootrun(void)
{
	char dir[4096];
	int r = bg_path_dir(BG_DIR_ROOTRUN, dir, sizeof(dir)), fd;

	if (r < 0)
		return r;
	/* Only where it is missing (tests); installed, the socket unit made it. */
	if (access(dir, F_OK) < 0 && (r = bg_mkdir_p(dir, 0755)) < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int
read_forward(char *c)
{
	int fd = open(IP_FORWARD, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, c, 1);
	close(fd);
	return n == 1 && (*c == '0' || *c == '1') ? 0 : -EIO;
}

static int
write_forward(char c)
{
	char line[2] = { c, '\n' };
	int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = bg_write_all(fd, line, 2);
	close(fd);
	return r;
}

/*
 * ip_forward = 1, the value found first kept in ROOTRUN/ip_forward.saved
 * (once: a later call finds 1, banger's own) for bg_net_ip_forward_restore.
 */
int
bg_net_ip_forward(void)
{
	char c;
	int d, fd, r = read_forward(&c);

	if (r < 0)
		return r;
	if ((d = rootrun()) < 0)
		return d;
	fd = openat(d, FORWARD_SAVED,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		r = bg_write_all(fd, &c, 1);
		close(fd);
		if (r < 0)
			unlinkat(d, FORWARD_SAVED, 0);
	} else if (errno != EEXIST)
		r = -errno;
	close(d);
	if (r < 0)
		return r;
	return c == '1' ? 0 : write_forward('1');
}

int
bg_net_ip_forward_restore(void)
{
	char c = 0;
	int d = rootrun(), fd, r;

	if (d < 0)
		return d;
	fd = openat(d, FORWARD_SAVED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -errno;
		close(d);
		return r;
	}
	r = read(fd, &c, 1) == 1 && (c == '0' || c == '1') ? 0 : -EIO;
	close(fd);
	if (r == 0)
		r = write_forward(c);
	if (r == 0 || r == -EIO)
		unlinkat(d, FORWARD_SAVED, 0);
	close(d);
	return r == -EIO ? 0 : r;
}
