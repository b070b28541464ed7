/*
 * root-verbs.c — the root verbs and the capabilities each one holds
 * (docs/privileges.md).  root-dispatch routes by this table and narrows
 * the bounding set to the verb's entry before it execs the helper, so
 * the helper starts with exactly that set; each helper's descriptor
 * declares the same set (BG_CAPS_* in banger.h) and bg_verb_main checks
 * that the two agree and that the process holds that set, no more.
 * A fenced verb's helper also runs under bg_seccomp_fence (lib/seccomp.c),
 * installed by both.
 */
#include <string.h>

#include "banger.h"

const struct bg_root_verb bg_root_verbs[] = {
	{ "net-down", BG_CAPS_NET, true },
	{ "net-setup", BG_CAPS_NET, true },
	{ "tap-add", BG_CAPS_NET, true },
	{ "tap-del", BG_CAPS_NET, true },
	/*
	 * resolved over D-Bus: no capability (uid 0 is what resolved
	 * checks); the helper fences itself once the bus is open.
	 */
	{ "dns-wire", 0, false },
	/* systemd-run: D-Bus, and systemd-run's own signals. */
	{ "vmm-launch", BG_CAPS_VMM_LAUNCH, false },
	{ NULL, 0, false },
};

const struct bg_root_verb *
bg_root_verb(const char *name)
{
	const struct bg_root_verb *v;

	for (v = bg_root_verbs; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}
