/*
 * system.c — `banger system install` and `uninstall`: the checks the
 * CLI can make before anything runs (root, the owner), then the helper
 * of this very tree, run here (cli_local; docs/install.md).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The path of this binary, for the sudo line. */
static const char *
self(char *buf, size_t n)
{
	ssize_t l = readlink("/proc/self/exe", buf, n - 1);

	if (l <= 0)
		return "banger";
	buf[l] = '\0';
	return buf;
}

int
cli_system(struct cli_inv *inv)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(inv->opts, "owner");
	bool install = strcmp(inv->cmd->name, "install") == 0;
	const char *sudo_user = getenv("SUDO_USER");
	char me[PATH_MAX];

	if (install && o == NULL) {
		/* sudo says who ran it: that user, unless it was root. */
		if (sudo_user == NULL || sudo_user[0] == '\0' ||
		    strcmp(sudo_user, "root") == 0)
			return cli_usage_error(inv->cmd,
			    "--owner USER is required (the user who will run "
			    "the VMs)");
		if (cJSON_AddStringToObject(inv->req, "owner", sudo_user) ==
		    NULL)
			return BG_EXIT_TEMP;
	}
	if (geteuid() != 0) {
		fprintf(stderr,
		    "banger: system %s needs root: sudo %s system %s%s%s\n",
		    inv->cmd->name, self(me, sizeof(me)), inv->cmd->name,
		    install ? " --owner " : "",
		    install ?
			(o != NULL ? o->valuestring : "\"$USER\"") :
			(cJSON_GetObjectItemCaseSensitive(inv->opts, "purge") ?
				" --purge" :
				""));
		return BG_EXIT_NO;
	}
	return cli_local(inv);
}

void
cli_render_install(const struct cli_inv *inv, const cJSON *result)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(result, "written");
	const char *owner = cli_str(result, "owner");

	(void)inv;
	printf("banger %s installed for %s (uid %.0f, gid %.0f)\n",
	    cli_str(result, "version"), owner,
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(result, "uid")),
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(result, "gid")));
	printf("  %d file%s written, %.0f unchanged\n", cJSON_GetArraySize(w),
	    cJSON_GetArraySize(w) == 1 ? "" : "s",
	    cJSON_GetNumberValue(
		cJSON_GetObjectItemCaseSensitive(result, "unchanged")));
	printf("next, as %s: banger doctor; banger vm run --name sandbox\n",
	    owner);
}

void
cli_render_uninstall(const struct cli_inv *inv, const cJSON *result)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(result, "removed");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(result, "stopped");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(result, "kept");
	const cJSON *e;

	(void)inv;
	printf("banger uninstalled: %d path%s removed\n", cJSON_GetArraySize(r),
	    cJSON_GetArraySize(r) == 1 ? "" : "s");
	if (cJSON_GetArraySize(s) > 0) {
		fputs("  VMs stopped:", stdout);
		cJSON_ArrayForEach(e, s)
			printf(" %s", e->valuestring);
		putchar('\n');
	}
	cJSON_ArrayForEach(e, k)
		printf("  kept: %s\n", e->valuestring);
}
