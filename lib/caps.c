/*
 * caps.c — capability sets, by the raw system calls (capget, capset,
 * prctl): what each root helper holds is exactly its verb's set
 * (docs/privileges.md).  No libcap: five calls do not need a library.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "banger.h"

static int
get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &h, d) < 0 ? -errno : 0;
}

static uint64_t
join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int
bg_caps_read(uint64_t *eff, uint64_t *prm, uint64_t *bnd)
{
	struct __user_cap_data_struct d[2];
	int r = get(d), c;

	if (r < 0)
		return r;
	if (eff)
		*eff = join(d[0].effective, d[1].effective);
	if (prm)
		*prm = join(d[0].permitted, d[1].permitted);
	if (bnd) {
		*bnd = 0;
		for (c = 0; c < 64; c++) {
			r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
			if (r < 0)
				break; /* past the kernel's last capability */
			if (r == 1)
				*bnd |= BG_CAP(c);
		}
	}
	return 0;
}

int
bg_caps_bound(uint64_t keep)
{
	int c, r;

	for (c = 0; c < 64; c++) {
		if (keep & BG_CAP(c))
			continue;
		r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

int
bg_caps_limit(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t prm, bnd;
	int r = bg_caps_read(NULL, &prm, &bnd);

	if (r < 0)
		return r;
	/* The bounding set needs CAP_SETPCAP, which is dropped below. */
	if ((bnd & ~keep) != 0 && (r = bg_caps_bound(keep)) < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	prm &= keep;
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)prm;
	d[1].effective = d[1].permitted = (uint32_t)(prm >> 32);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

const char *
bg_cap_name(int c)
{
	static const struct {
		int c;
		const char *name;
	} names[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_SETUID, "CAP_SETUID" },
		{ CAP_SETGID, "CAP_SETGID" },
		{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
		{ CAP_SETPCAP, "CAP_SETPCAP" },
		{ CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].c == c)
			return names[i].name;
	return "a capability";
}
