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

int
bg_net_bridge_delete(const char *name)
{
	struct ifreq ifr;
	int s, r = ifreq_for(&ifr, name);

	if (r < 0)
		return r;
	if (!bg_net_link_exists(name))
		return 0;
	s = ctl_socket();
	if (s < 0)
		return s;
	/* SIOCBRDELBR refuses a bridge that is up (EBUSY). */
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	if (r == 0 && ioctl(s, SIOCBRDELBR, name) < 0 && errno != ENXIO)
		r = -errno;
	close(s);
	return r;
}

/*
 * Whose is an existing tun/tap device: its sysfs attributes tun_flags
 * (absent on any other kind of link), owner and group (-1: unset).
 * 0 and *flags and *uid when readable; -ENOTTY when the link is not a
 * tun/tap device; -ENODEV when it is gone.
 */
static int
tun_attrs(const char *name, unsigned long *flags, long long *uid)
{
	char path[96], buf[32];
	const char *attr[] = { "tun_flags", "owner" };
	unsigned long long v[2];
	size_t i;
	int fd;
	ssize_t n;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name,
		    attr[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT && i == 0 ?
			    (bg_net_link_exists(name) ? -ENOTTY : -ENODEV) :
			    -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf[n] = '\0';
		if (i == 1 && strncmp(buf, "-1", 2) == 0)
			v[i] = (unsigned long long)-1;
		else if (sscanf(buf, i == 0 ? "%llx" : "%llu", &v[i]) != 1)
			return -EIO;
	}
	*flags = (unsigned long)v[0];
	*uid = v[1] == (unsigned long long)-1 ? -1 : (long long)v[1];
	return 0;
}

int
bg_net_tap_mine(const char *name, uid_t owner)
{
	unsigned long flags;
	long long uid;
	int r = tun_attrs(name, &flags, &uid);

	if (r < 0)
		return r;
	if ((flags & (IFF_TUN | IFF_TAP)) != IFF_TAP)
		return -ENOTTY;
	return uid == (long long)owner ? 0 : -EPERM;
}

/*
 * The tap's fd (what TUNSET* act on).  create: make it, and only if it
 * does not exist yet (IFF_TUN_EXCL); else attach to an existing one,
 * which the caller has checked is the owner's tap.
 */
static int
tap_open(const char *name, bool create)
{
	struct ifreq ifr;
	int fd, r = ifreq_for(&ifr, name);

	if (r < 0)
		return r;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags =
	    IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (create ? IFF_TUN_EXCL : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/*
 * Why this is safe: a tap is created only by name with IFF_TUN_EXCL
 * (never an existing device), and an existing one is touched only once
 * sysfs says it is a tap (not a tun, not another kind of link) owned by
 * the owner uid — checked before attaching (attaching as root would
 * pass the kernel's own owner check and reset the device's features)
 * and again on the attached fd's device, so a foreign tap is neither
 * taken over nor put on the bridge.
 */
int
bg_net_tap_ensure(const char *name, uid_t uid, gid_t gid, const char *bridge)
{
	struct ifreq ifr;
	int fd, s, r;

	fd = tap_open(name, true);
	if (fd == -EBUSY) {
		r = bg_net_tap_mine(name, uid);
		if (r < 0)
			return r;
		fd = tap_open(name, false);
		if (fd >= 0 && (r = bg_net_tap_mine(name, uid)) < 0) {
			close(fd);
			return r;
		}
	}
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

/* Why this is safe: as above, only the owner's tap is ever attached to. */
int
bg_net_tap_delete(const char *name, uid_t owner)
{
	int fd, r;

	r = bg_net_tap_mine(name, owner);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	fd = tap_open(name, false);
	if (fd < 0)
		return fd == -ENODEV ? 0 : fd;
	r = bg_net_tap_mine(name, owner);
	if (r == 0 && ioctl(fd, TUNSETPERSIST, 0UL) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* What bg_net_tap_mine's refusal means, for the error line. */
static void
tap_refusal(const char *tap, const char *doing, int r, struct bg_err *err)
{
	if (r == -ENOTTY)
		bg_err_set(err, "exists",
		    "cannot %s %s: an interface of that name exists and is "
		    "not a tap: banger leaves it alone (remove or rename it, "
		    "or use another slot)",
		    doing, tap);
	else
		bg_err_set(err, "exists",
		    "cannot %s %s: that tap exists and is not the banger "
		    "owner's: banger leaves it alone (its owner or an admin "
		    "can remove it: ip tuntap del %s mode tap)",
		    doing, tap, tap);
}

int
bg_net_tap_del(int index, uid_t owner, char *tap, size_t n, bool *existed,
    struct bg_err *err)
{
	int r = bg_net_tap_name(index, tap, n);

	if (r < 0)
		return r;
	*existed = bg_net_link_exists(tap);
	r = bg_net_tap_delete(tap, owner);
	if (r == -EPERM || r == -ENOTTY)
		tap_refusal(tap, "remove", r, err);
	else if (r < 0)
		bg_err_set(err, r == -EBUSY ? "busy" : "temporary",
		    "cannot remove tap %s: %s", tap, strerror(-r));
	return r;
}

int
bg_net_tap_refused(const char *tap, int r, struct bg_err *err)
{
	if (r != -EPERM && r != -ENOTTY)
		return 0;
	tap_refusal(tap, "use", r, err);
	return 1;
}
