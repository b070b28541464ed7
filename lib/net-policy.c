/*
 * net-policy.c — the admin's guest network policy, ETC/network.toml
 * (docs/network.md):
 *
 *   [network]
 *   allow_lan = false   # guests may reach private ranges (your LAN)
 *   ipv6 = false        # IPv6 frames may cross the bridge
 *
 * Root's own file: root helpers never read the owner's config.  A
 * missing file is the defaults; anything else that is not exactly this
 * shape is refused, naming the line, so that a typo never silently
 * opens (or closes) the network.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "banger.h"

static int
bad(const struct bg_toml *n, const char *path, const char *what,
    struct bg_err *err)
{
	char k[64];

	bg_err_set(err, "bad_config", "%s:%d:%d: %s '%s' %s", path, n->line,
	    n->col, n->type == BG_TOML_TABLE ? "table" : "key",
	    bg_toml_printable(n->key ? n->key : "", k, sizeof(k)), what);
	return -EINVAL;
}

int
bg_net_policy_load(struct bg_net_policy *p, struct bg_err *err)
{
	char path[PATH_MAX];
	struct bg_toml *t = NULL;
	const struct bg_toml *n, *k;
	int r;

	memset(p, 0, sizeof(*p));
	r = bg_path_build(path, sizeof(path), BG_DIR_ETC, NULL, NULL,
	    "network.toml");
	if (r < 0) {
		bg_err_set(err, "internal",
		    "the network.toml path is too long");
		return r;
	}
	r = bg_toml_parse_file(path, &t, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (n = t->child; n != NULL && r == 0; n = n->next) {
		if (strcmp(n->key, "network") != 0 ||
		    n->type != BG_TOML_TABLE) {
			r = bad(n, path, "is not known (only [network])", err);
			break;
		}
		for (k = n->child; k != NULL && r == 0; k = k->next) {
			bool *dst = strcmp(k->key, "allow_lan") == 0 ?
			    &p->allow_lan :
			    strcmp(k->key, "ipv6") == 0 ? &p->ipv6 :
							  NULL;

			if (dst == NULL)
				r = bad(k, path,
				    "is not known in [network] (allow_lan, "
				    "ipv6)",
				    err);
			else if (k->type != BG_TOML_BOOL)
				r = bad(k, path, "must be true or false", err);
			else
				*dst = k->b;
		}
	}
	bg_toml_free(t);
	return r;
}
