/*
 * system.c — `banger system install`, `uninstall`, `restart`: the
 * checks the CLI can make before anything runs (root, the owner), then
 * the helper of this very tree, run here (cli_local); `status`, which
 * needs no root (docs/install.md).
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
	return bg_path_self(buf, n, 0) == 0 ? buf : "banger";
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

void
cli_render_status(const struct cli_inv *inv, const cJSON *result)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(result, "owner");
	const cJSON *e, *a;
	bool installed =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "installed"));

	(void)inv;
	if (!installed) {
		printf("%s\n", cli_str(result, "why"));
		return;
	}
	printf("installed:  %s", cli_str(result, "version"));
	if (strcmp(cli_str(result, "version"), cli_str(result, "this_version")))
		printf("  (this banger is %s: sudo banger system install to "
		       "upgrade)",
		    cli_str(result, "this_version"));
	printf("\nowner:      %s (uid %.0f, gid %.0f)\n", cli_str(o, "name"),
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "uid")),
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "gid")));
	if (strcmp(cli_str(result, "systemd"), "-"))
		printf("systemd:    %s\n", cli_str(result, "systemd"));
	cJSON_ArrayForEach(e,
	    cJSON_GetObjectItemCaseSensitive(result, "sockets"))
		printf("%-19s %s%s%s\n", cli_str(e, "unit"),
		    cli_str(e, "active"),
		    strcmp(cli_str(e, "sub"), "-") ? "/" : "",
		    strcmp(cli_str(e, "sub"), "-") ? cli_str(e, "sub") : "");
	a = cJSON_GetObjectItemCaseSensitive(result, "vms");
	printf("VMs:        %d unit%s", cJSON_GetArraySize(a),
	    cJSON_GetArraySize(a) == 1 ? "" : "s");
	cJSON_ArrayForEach(e, a)
		printf("  %s (%s)", cli_str(e, "name"), cli_str(e, "sub"));
	e = cJSON_GetObjectItemCaseSensitive(result, "bridge");
	printf("\nbridge:     %s %s\n", cli_str(e, "name"),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "present")) ?
		cli_str(e, "operstate") :
		"missing (sudo banger system restart)");
	e = cJSON_GetObjectItemCaseSensitive(result, "nftables");
	printf("nftables:   ");
	if (cJSON_GetObjectItemCaseSensitive(e, "error") != NULL)
		printf("%s", cli_str(e, "error"));
	else if (cJSON_GetArraySize(
		     cJSON_GetObjectItemCaseSensitive(e, "tables")) == 0)
		printf("no banger table (sudo banger system restart)");
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(e, "tables"))
		printf("%s; ", a->valuestring);
	putchar('\n');
	e = cJSON_GetObjectItemCaseSensitive(result, "dns");
	printf("dns (.vm):  ");
	if (strcmp(cli_str(e, "wiring"), "on") != 0)
		printf("not routed on this host: %s (docs/dns-routing.md)\n",
		    cli_str(e, "why"));
	else if (cJSON_GetObjectItemCaseSensitive(e, "resolves") == NULL)
		printf("routed by systemd-resolved (%s ~vm -> %s); no VM "
		       "runs to try a name\n",
		    BG_BRIDGE, BG_BRIDGE_ADDR);
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "resolves")))
		printf("%s resolves to %s (systemd-resolved)\n",
		    cli_str(e, "name"), cli_str(e, "address"));
	else
		printf("routed, but %s\n", cli_str(e, "why"));
	a = cJSON_GetObjectItemCaseSensitive(result, "errors");
	printf("last warnings and errors: %s\n",
	    cJSON_GetArraySize(a) == 0 ? "none" : "");
	cJSON_ArrayForEach(e, a) {
		fputs("  ", stdout);
		cli_put_clean(stdout, cli_str(e, "time"), 32);
		fputs(" ", stdout);
		cli_put_clean(stdout, cli_str(e, "program"), 64);
		fputs(": ", stdout);
		cli_put_clean(stdout, cli_str(e, "message"), 400);
		putchar('\n');
	}
	if (strcmp(cli_str(result, "journal"), "-"))
		printf("  (%s)\n", cli_str(result, "journal"));
}
