/*
 * net-link.c — the bridge and the taps, by ioctl: SIOCBRADDBR and
 * SIOCBRADDIF for the bridge, /dev/net/tun with TUNSETIFF, TUNSETOWNER,
 * TUNSETGROUP and TUNSETPERSIST for persistent taps that the owner's
 * unprivileged VMM can open, SIOCSIFADDR/NETMASK/FLAGS for addresses
 * and link state.  No netlink library and no external `ip` needed.
 * Root only (CAP_NET_ADMIN); callers are the root helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "banger.h"

int
bg_net_tap_name(int index, char *buf, size_t n)
{
	if (index < BG_NET_INDEX_MIN || index > BG_NET_INDEX_MAX)
		return -EINVAL;
	if ((size_t)snprintf(buf, n, "%s%d", BG_TAP_PREFIX, index) >= n)
		return -ENAMETOOLONG;
	return 0;
}

static int
ifreq_for(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	strcpy(ifr->ifr_name, name);
	return 0;
}

static int
ctl_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return s < 0 ? -errno : s;
}

int
bg_net_link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static int
link_up(int s, const char *name)
{
	struct ifreq ifr;
	int r = ifreq_for(&ifr, name);

	if (r < 0)
		return r;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int
set_ipv4(int s, const char *name, unsigned long req, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int r = ifreq_for(&ifr, name);

	if (r < 0)
		return r;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	return ioctl(s, req, &ifr) < 0 ? -errno : 0;
}

int
bg_net_bridge_ensure(const char *name, const char *addr, int prefix)
{
	char mask[INET_ADDRSTRLEN];
	struct in_addr m;
	int s, r;

	if (prefix < 1 || prefix > 30)
		return -EINVAL;
	s = ctl_socket();
	if (s < 0)
		return s;
	if (ioctl(s, SIOCBRADDBR, name) < 0 && errno != EEXIST) {
		r = -errno;
		goto out;
	}
	m.s_addr = htonl(~0u << (32 - prefix));
	inet_ntop(AF_INET, &m, mask, sizeof(mask));
	r = set_ipv4(s, name, SIOCSIFADDR, addr);
	if (r == 0)
		r = set_ipv4(s, name, SIOCSIFNETMASK, mask);
	if (r == 0)
		r = link_up(s, name);
out:
	close(s);
	return r;
}

/* Open (creating if needed) the tap; the fd is what TUNSET* act on. */
static int
tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, r = ifreq_for(&ifr, name);

	if (r < 0)
		return r;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int
bg_net_tap_ensure(const char *name, uid_t uid, gid_t gid, const char *bridge)
{
	struct ifreq ifr;
	int fd, s, r;

	fd = tap_open(name);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)gid) < 0 ||
	    ioctl(fd, TUNSETPERSIST, 1UL) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	close(fd);
	s = ctl_socket();
	if (s < 0)
		return s;
	r = ifreq_for(&ifr, bridge);
	if (r == 0) {
		ifr.ifr_ifindex = (int)if_nametoindex(name);
		if (ifr.ifr_ifindex == 0)
			r = -ENODEV;
		else if (ioctl(s, SIOCBRADDIF, &ifr) < 0 && errno != EBUSY)
			r = -errno;
	}
	if (r == 0)
		r = link_up(s, name);
	close(s);
	return r;
}

int
bg_net_tap_delete(const char *name)
{
	int fd, r = 0;

	if (!bg_net_link_exists(name))
		return 0;
	fd = tap_open(name);
	if (fd < 0)
		return fd;
	if (ioctl(fd, TUNSETPERSIST, 0UL) < 0)
		r = -errno;
	close(fd);
	return r;
}

int
bg_net_tap_del(int index, char *tap, size_t n, bool *existed,
    struct bg_err *err)
{
	int r = bg_net_tap_name(index, tap, n);

	if (r < 0)
		return r;
	*existed = bg_net_link_exists(tap);
	r = bg_net_tap_delete(tap);
	if (r < 0)
		bg_err_set(err, r == -EBUSY ? "busy" : "temporary",
		    "cannot remove tap %s: %s", tap, strerror(-r));
	return r;
}
