/*
 * dns-wire.c — systemd-resolved sends the .vm zone to dns-answer
 * (docs/dns-routing.md): on the link br-fc, the DNS server 172.16.0.1
 * and the routing-only domain ~vm, over D-Bus (org.freedesktop.resolve1,
 * the calls `resolvectl dns` and `resolvectl domain` make).
 *
 * Reading the wiring needs no privilege (bg_dns_wire_state: status,
 * doctor).  Changing it is root's: resolved lets uid 0 do it, and
 * root-dns-wire (asked by vm start), system install and restart (apply)
 * and system uninstall (revert) are the callers.
 *
 * What is set on br-fc, and why each:
 *   DNS 172.16.0.1          dns-answer, on the bridge address;
 *   Domains ~vm             routing only: .vm names go there, nothing
 *                           else does, and no search suffix is added;
 *   DefaultRoute no         never a resolver for other names;
 *   LLMNR no, MulticastDNS no
 *                           guests must not answer the host's
 *                           single-label and .local lookups;
 *   DNSSEC no, DNSOverTLS no
 *                           a private zone: nothing to validate, no TLS
 *                           on dns-answer.
 * resolved forgets a link's settings when the link goes away (a reboot,
 * a bridge made again) and on `resolvectl revert`; it keeps them across
 * its own restart (systemd 252, t/0360).  vm start wires again each time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "banger.h"
#include "dns.h"

#define RESOLVE "org.freedesktop.resolve1"
#define RESOLVE_PATH "/org/freedesktop/resolve1"
#define MANAGER RESOLVE ".Manager"
#define LINK RESOLVE ".Link"
#define CALL_TIMEOUT_US (5 * 1000 * 1000)

/* resolved's unique name on the bus (open_bus): every call goes there. */
static char dest[256];

const char *
bg_dns_wire_state_name(enum bg_dns_wire_state s)
{
	switch (s) {
	case BG_DNS_WIRE_NO_RESOLVED:
		return "no-resolved";
	case BG_DNS_WIRE_NO_BRIDGE:
		return "no-bridge";
	case BG_DNS_WIRE_OFF:
		return "off";
	case BG_DNS_WIRE_ON:
		return "on";
	}
	return "?";
}

/*
 * 1 when the bus daemon and this process share a PID namespace, so that
 * a PID the daemon reports (resolved's) names the same process here.
 * The kernel translates SO_PEERCRED into our namespace (0: the daemon
 * is not visible from here, we are in a child namespace), and the
 * daemon reports our PID in its own (0: we are not visible to it): both
 * must be right, and ours must be getpid().  t/with-sandbox's root side
 * is in a PID namespace of its own while the host's bus is reachable.
 */
static int
same_pidns(sd_bus *bus)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);
	sd_bus_creds *c = NULL;
	const char *me = NULL;
	pid_t seen = 0;
	int r;

	if (getsockopt(sd_bus_get_fd(bus), SOL_SOCKET, SO_PEERCRED, &uc, &l) <
	    0)
		return -errno;
	if (uc.pid <= 0)
		return 0;
	r = sd_bus_get_unique_name(bus, &me);
	if (r >= 0)
		r = sd_bus_get_name_creds(bus, me, SD_BUS_CREDS_PID, &c);
	if (r >= 0)
		r = sd_bus_creds_get_pid(c, &seen);
	sd_bus_creds_unref(c);
	if (r < 0)
		return r;
	return seen == getpid();
}

/*
 * The system bus and resolved on it: its PID and its unique name (the
 * calls go to that connection, the one whose namespace was checked, not
 * to whoever owns the well-known name next); -errno with why set.
 */
static int
open_bus(sd_bus **bus, pid_t *pid, char *why, size_t n)
{
	sd_bus_creds *c = NULL;
	const char *u = NULL;
	int r;

	*bus = NULL;
	dest[0] = '\0';
	r = sd_bus_open_system(bus);
	if (r < 0) {
		snprintf(why, n,
		    "systemd-resolved is not reachable: no system bus (%s)",
		    strerror(-r));
		*bus = NULL;
		return r;
	}
	(void)sd_bus_set_method_call_timeout(*bus, CALL_TIMEOUT_US);
	/* Asked of the bus, not of resolved: starts nothing. */
	r = sd_bus_get_name_creds(*bus, RESOLVE,
	    SD_BUS_CREDS_PID | SD_BUS_CREDS_UNIQUE_NAME, &c);
	if (r >= 0)
		r = sd_bus_creds_get_pid(c, pid);
	if (r >= 0)
		r = sd_bus_creds_get_unique_name(c, &u);
	if (r >= 0 && strlen(u) >= sizeof(dest))
		r = -ENAMETOOLONG;
	if (r >= 0)
		snprintf(dest, sizeof(dest), "%s", u);
	sd_bus_creds_unref(c);
	if (r < 0) {
		snprintf(why, n, "systemd-resolved is not running");
		*bus = sd_bus_flush_close_unref(*bus);
		return r;
	}
	r = same_pidns(*bus);
	if (r <= 0) {
		snprintf(why, n,
		    "the system bus is in another PID namespace: "
		    "systemd-resolved there is not this host's to change");
		*bus = sd_bus_flush_close_unref(*bus);
		return r < 0 ? r : -EXDEV;
	}
	return 0;
}

/*
 * 1 when pid lives in our network namespace.  A link index means
 * nothing in another one: a private state root (tests) on a host whose
 * resolved runs outside it must never name the host's links.  The
 * inode of /proc/PID/net/dev is the namespace's own (readable without
 * ptrace rights, unlike /proc/PID/ns/net).
 */
static int
same_netns(pid_t pid)
{
	char p[64];
	struct stat a, b;

	snprintf(p, sizeof(p), "/proc/%d/net/dev", (int)pid);
	if (stat(p, &a) < 0 || stat("/proc/self/net/dev", &b) < 0)
		return -errno;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int
link_path(sd_bus *bus, int ifindex, char **path, sd_bus_error *e)
{
	sd_bus_message *m = NULL;
	const char *p;
	int r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER, "GetLink",
	    e, &m, "i", ifindex);

	if (r >= 0)
		r = sd_bus_message_read(m, "o", &p);
	if (r >= 0 && (*path = strdup(p)) == NULL)
		r = -ENOMEM;
	sd_bus_message_unref(m);
	return r;
}

/* 1 when the link's DNS property holds 172.16.0.1. */
static int
has_dns(sd_bus *bus, const char *path, sd_bus_error *e)
{
	sd_bus_message *m = NULL;
	struct in_addr want;
	int r, found = 0;

	inet_pton(AF_INET, BG_BRIDGE_ADDR, &want);
	r = sd_bus_get_property(bus, dest, path, LINK, "DNS", e, &m, "a(iay)");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(iay)");
	while (r > 0) {
		const void *addr;
		size_t len;
		int32_t fam;

		r = sd_bus_message_enter_container(m, 'r', "iay");
		if (r <= 0)
			break;
		r = sd_bus_message_read(m, "i", &fam);
		if (r >= 0)
			r = sd_bus_message_read_array(m, 'y', &addr, &len);
		if (r >= 0 && fam == AF_INET && len == 4 &&
		    memcmp(addr, &want, 4) == 0)
			found = 1;
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = 1;
	}
	sd_bus_message_unref(m);
	return r < 0 ? r : found;
}

/* 1 when the link's Domains property holds ~vm (routing only). */
static int
has_domain(sd_bus *bus, const char *path, sd_bus_error *e)
{
	sd_bus_message *m = NULL;
	const char *d;
	int route, r, found = 0;

	r = sd_bus_get_property(bus, dest, path, LINK, "Domains", e, &m,
	    "a(sb)");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(sb)");
	while (r > 0) {
		r = sd_bus_message_read(m, "(sb)", &d, &route);
		if (r > 0 && route && strcmp(d, BG_DNS_ZONE) == 0)
			found = 1;
	}
	sd_bus_message_unref(m);
	return r < 0 ? r : found;
}

enum bg_dns_wire_state
bg_dns_wire_state(char *why, size_t n)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	enum bg_dns_wire_state s = BG_DNS_WIRE_OFF;
	sd_bus *bus;
	char *path = NULL;
	pid_t pid;
	int ifindex, dns = 0, dom = 0, r;

	why[0] = '\0';
	if (open_bus(&bus, &pid, why, n) < 0)
		return BG_DNS_WIRE_NO_RESOLVED;
	ifindex = (int)if_nametoindex(BG_BRIDGE);
	if (ifindex == 0) {
		snprintf(why, n,
		    "bridge %s does not exist yet (the first vm start makes it)",
		    BG_BRIDGE);
		s = BG_DNS_WIRE_NO_BRIDGE;
		goto out;
	}
	r = link_path(bus, ifindex, &path, &e);
	if (r >= 0)
		r = dns = has_dns(bus, path, &e);
	if (r >= 0)
		r = dom = has_domain(bus, path, &e);
	if (r < 0)
		snprintf(why, n,
		    "cannot read %s's DNS settings from "
		    "systemd-resolved: %s",
		    BG_BRIDGE, e.message ? e.message : strerror(-r));
	else if (dns && dom)
		s = BG_DNS_WIRE_ON;
	else
		snprintf(why, n, "%s has %s in systemd-resolved", BG_BRIDGE,
		    !dns && !dom ? "no DNS server " BG_BRIDGE_ADDR
				   " and no domain ~" BG_DNS_ZONE :
			!dns ? "no DNS server " BG_BRIDGE_ADDR :
			       "no routing domain ~" BG_DNS_ZONE);
out:
	free(path);
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
	return s;
}

/*
 * br-fc here is banger's bridge: a bridge (sysfs, checked against the
 * index so that a sysfs of another namespace cannot answer) holding
 * 172.16.0.1.  Anything else carrying the name is left alone.
 */
static int
our_bridge(int ifindex, struct bg_err *err)
{
	char buf[32], *text;
	size_t len;
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s, r, idx = -1;
	struct stat st;

	r = bg_read_file(AT_FDCWD, "/sys/class/net/" BG_BRIDGE "/ifindex", 32,
	    &text, &len);
	if (r == 0) {
		idx = (int)strtol(text, NULL, 10);
		free(text);
	}
	if (r < 0 || idx != ifindex ||
	    stat("/sys/class/net/" BG_BRIDGE "/bridge", &st) < 0) {
		bg_err_set(err, "exists",
		    "%s is not banger's bridge (not a bridge here): its DNS "
		    "is left alone",
		    BG_BRIDGE);
		return -EEXIST;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", BG_BRIDGE);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	r = ioctl(s, SIOCGIFADDR, &ifr) < 0 ? -errno : 0;
	close(s);
	if (r < 0 || sin->sin_family != AF_INET ||
	    strcmp(inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)),
		BG_BRIDGE_ADDR) != 0) {
		bg_err_set(err, "exists",
		    "%s does not hold %s: it is not banger's bridge, its DNS "
		    "is left alone (banger vm start sets the bridge up)",
		    BG_BRIDGE, BG_BRIDGE_ADDR);
		return -EEXIST;
	}
	return 0;
}

/* The bus opened by bg_dns_wire_hold, and why when there is none. */
static bool held;
static sd_bus *held_bus;
static pid_t held_pid;
static char held_why[256];

int
bg_dns_wire_hold(struct bg_err *err)
{
	int r;

	held = true;
	if (open_bus(&held_bus, &held_pid, held_why, sizeof(held_why)) < 0)
		held_bus = NULL;
	/* From here on, no new connection of any kind (lib/seccomp.c). */
	r = bg_seccomp_fence();
	if (r < 0)
		bg_err_set(err, "temporary", "cannot install the fence: %s",
		    strerror(-r));
	return r;
}

/*
 * Bus, namespaces and bridge, for apply and revert: 0 go, 1 nothing to
 * do (why says so), -errno with err set.
 */
static int
prepare(sd_bus **bus, int *ifindex, char *why, size_t n, struct bg_err *err)
{
	pid_t pid;
	int r;

	why[0] = '\0';
	if (held) {
		if (held_bus == NULL) {
			snprintf(why, n, "%s", held_why);
			return 1;
		}
		*bus = held_bus;
		pid = held_pid;
		held_bus = NULL;
	} else if (open_bus(bus, &pid, why, n) < 0) {
		return 1;
	}
	r = same_netns(pid);
	if (r < 0) {
		bg_err_set(err, "temporary",
		    "cannot tell systemd-resolved's network namespace: %s",
		    strerror(-r));
		return r;
	}
	if (r == 0) {
		snprintf(why, n,
		    "systemd-resolved serves another network namespace: "
		    "nothing changed");
		return 1;
	}
	*ifindex = (int)if_nametoindex(BG_BRIDGE);
	if (*ifindex == 0) {
		snprintf(why, n, "bridge %s does not exist: nothing to wire",
		    BG_BRIDGE);
		return 1;
	}
	return 0;
}

static int
failed(const char *method, sd_bus_error *e, int r, struct bg_err *err)
{
	bg_err_set(err, "temporary", "systemd-resolved refused %s on %s: %s",
	    method, BG_BRIDGE, e->message ? e->message : strerror(-r));
	sd_bus_error_free(e);
	return r;
}

int
bg_dns_wire_apply(char *why, size_t n, struct bg_err *err)
{
	static const struct {
		const char *method, *value;
	} off[] = {
		{ "SetLinkLLMNR", "no" },
		{ "SetLinkMulticastDNS", "no" },
		{ "SetLinkDNSSEC", "no" },
		{ "SetLinkDNSOverTLS", "no" },
	};
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct in_addr a;
	sd_bus *bus = NULL;
	size_t i;
	int ifindex = 0, r;

	r = prepare(&bus, &ifindex, why, n, err);
	if (r == 0)
		r = our_bridge(ifindex, err);
	if (r != 0)
		goto out;
	inet_pton(AF_INET, BG_BRIDGE_ADDR, &a);
	/*
	 * Why this is safe: every argument is compiled in (the bridge's
	 * index, its address, the zone); the link is banger's bridge in
	 * resolved's own network namespace (checked above).
	 *
	 * The order matters: the link is made no default route, with only
	 * the routing domain ~vm, before it has a DNS server at all; a link
	 * with a server and no domain would take every lookup of the host.
	 * A call refused half-way takes the link's settings back whole.
	 */
	r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER,
	    "SetLinkDefaultRoute", &e, NULL, "ib", ifindex, 0);
	if (r < 0) {
		r = failed("SetLinkDefaultRoute", &e, r, err);
		goto undo;
	}
	r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER,
	    "SetLinkDomains", &e, NULL, "ia(sb)", ifindex, 1, BG_DNS_ZONE, 1);
	if (r < 0) {
		r = failed("SetLinkDomains", &e, r, err);
		goto undo;
	}
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER,
		    off[i].method, &e, NULL, "is", ifindex, off[i].value);
		if (r < 0) {
			r = failed(off[i].method, &e, r, err);
			goto undo;
		}
	}
	r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER, "SetLinkDNS",
	    &e, NULL, "ia(iay)", ifindex, 1, AF_INET, 4, ((uint8_t *)&a)[0],
	    ((uint8_t *)&a)[1], ((uint8_t *)&a)[2], ((uint8_t *)&a)[3]);
	if (r < 0) {
		r = failed("SetLinkDNS", &e, r, err);
		goto undo;
	}
	r = 0;
	goto out;
undo:
	(void)sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER, "RevertLink",
	    NULL, NULL, "i", ifindex);
out:
	sd_bus_flush_close_unref(bus);
	return r;
}

int
bg_dns_wire_revert(char *why, size_t n, struct bg_err *err)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int ifindex = 0, r;

	r = prepare(&bus, &ifindex, why, n, err);
	/*
	 * Why this is safe: the link is banger's bridge in resolved's own
	 * network namespace, on a bus in ours (checked as for apply);
	 * RevertLink on any other link would undo its owner's settings.
	 */
	if (r == 0)
		r = our_bridge(ifindex, err);
	if (r == 0) {
		r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER,
		    "RevertLink", &e, NULL, "i", ifindex);
		if (r < 0)
			r = failed("RevertLink", &e, r, err);
		else
			r = 0;
	}
	sd_bus_flush_close_unref(bus);
	return r;
}

int
bg_dns_resolve(const char *name, char *ip, size_t n, char *why, size_t wn)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	char fqdn[BG_NAME_MAX + 8];
	sd_bus *bus;
	pid_t pid;
	int r, found = 0;

	ip[0] = why[0] = '\0';
	if (open_bus(&bus, &pid, why, wn) < 0)
		return 0;
	snprintf(fqdn, sizeof(fqdn), "%s.%s", name, BG_DNS_ZONE);
	r = sd_bus_call_method(bus, dest, RESOLVE_PATH, MANAGER,
	    "ResolveHostname", &e, &m, "isit", 0, fqdn, AF_INET, UINT64_C(0));
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(iiay)");
	while (r > 0 && !found) {
		const void *addr;
		size_t len;
		int32_t ifi, fam;

		r = sd_bus_message_enter_container(m, 'r', "iiay");
		if (r <= 0)
			break;
		r = sd_bus_message_read(m, "ii", &ifi, &fam);
		if (r >= 0)
			r = sd_bus_message_read_array(m, 'y', &addr, &len);
		if (r >= 0 && fam == AF_INET && len == 4 &&
		    inet_ntop(AF_INET, addr, ip, (socklen_t)n) != NULL)
			found = 1;
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = 1;
	}
	if (r < 0)
		snprintf(why, wn, "%s: %s", fqdn,
		    e.message ? e.message : strerror(-r));
	else if (!found)
		snprintf(why, wn, "%s: no IPv4 address", fqdn);
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
	return found;
}
