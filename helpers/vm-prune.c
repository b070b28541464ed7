/*
 * vm-prune — remove stopped VMs and whatever a crash left half-made:
 * VMs whose create never finished (vm.json says "creating", or is
 * missing or unreadable, with nobody holding create.lock), run
 * directories of VMs that no longer exist, banger taps (bgtapN) that
 * belong to no VM, temp files of interrupted known_hosts updates, and
 * the hidden directories of killed image-register/image-delete runs.
 * Running VMs and VMs being created are kept.
 *
 * Request: {"v":1,"dry_run":bool}.
 * Result: {"removed":[names],"kept":[names],"taps_removed":[taps],
 *          "leftovers_removed":[names in images/]}.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "dry_run", NULL };

static int
tap_del(int slot, struct bg_err *err)
{
	cJSON *req = cJSON_CreateObject(), *res = NULL;
	int r;

	cJSON_AddNumberToObject(req, "v", 1);
	cJSON_AddNumberToObject(req, "index", slot);
	r = bg_root_call("tap-del", req, 30000, &res, err);
	cJSON_Delete(req);
	cJSON_Delete(res);
	return r;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	bool used[BG_NET_INDEX_MAX + 1] = { false }, dry, unknown_slot = false;
	char dir[PATH_MAX];
	cJSON *res, *removed, *kept, *taps, *leftovers;
	struct dirent *e;
	DIR *d;
	int g, r, i;

	PROG = "banger-vm-prune";
	r = bg_helper_begin(&h, "vm-prune", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h.req, "dry_run"));
	g = bg_lock_global(0);
	if (g < 0) {
		bg_err_set(&err, "temporary", "cannot take the global lock: %s",
		    strerror(-g));
		return bg_helper_fail(&h, &err);
	}
	res = cJSON_CreateObject();
	removed = cJSON_AddArrayToObject(res, "removed");
	kept = cJSON_AddArrayToObject(res, "kept");
	taps = cJSON_AddArrayToObject(res, "taps_removed");
	leftovers = cJSON_AddArrayToObject(res, "leftovers_removed");

	bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", NULL, NULL);
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char lock[PATH_MAX], clk[PATH_MAX];
		struct bg_vm vm;
		struct bg_err ignore;
		bool loaded, keep;

		if (!bg_name_valid(e->d_name))
			continue;
		bg_path_build(lock, sizeof(lock), BG_DIR_RUN, "vms", e->d_name,
		    "lock");
		bg_path_build(clk, sizeof(clk), BG_DIR_STATE, "vms", e->d_name,
		    "create.lock");
		loaded = bg_vm_load(e->d_name, &vm, &ignore) == 0;
		/* Never remove what is running, being created, or unknown. */
		keep = bg_lock_held(lock) != 0 || bg_lock_held(clk) != 0;
		if (keep) {
			cJSON_AddItemToArray(kept, cJSON_CreateString(e->d_name));
			if (loaded)
				used[vm.slot] = true;
			else
				unknown_slot = true;
			continue;
		}
		if (!dry && bg_vm_destroy(e->d_name, loaded ? vm.slot : -1,
		    &err) < 0) {
			closedir(d);
			close(g);
			cJSON_Delete(res);
			return bg_helper_fail(&h, &err);
		}
		cJSON_AddItemToArray(removed, cJSON_CreateString(e->d_name));
	}
	if (d != NULL)
		closedir(d);

	/* Run directories of VMs that are gone. */
	bg_path_build(dir, sizeof(dir), BG_DIR_RUN, "vms", NULL, NULL);
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char st[PATH_MAX], lock[PATH_MAX];

		if (!bg_name_valid(e->d_name))
			continue;
		bg_path_build(st, sizeof(st), BG_DIR_STATE, "vms", e->d_name,
		    NULL);
		bg_path_build(lock, sizeof(lock), BG_DIR_RUN, "vms", e->d_name,
		    "lock");
		if (access(st, F_OK) < 0 && bg_lock_held(lock) == 0 && !dry)
			bg_rm_rf_at(dirfd(d), e->d_name);
	}
	if (d != NULL)
		closedir(d);

	/*
	 * Temp files of atomic writes whose writer was killed (known_hosts
	 * is only rewritten under the global lock, which we hold).
	 */
	{
		int sd = bg_state_dir(BG_DIR_STATE, "ssh", 0755);
		DIR *sdir = sd < 0 ? NULL : fdopendir(sd);

		while (sdir != NULL && (e = readdir(sdir)) != NULL)
			if (strncmp(e->d_name, ".known_hosts.tmp", 16) == 0 && !dry)
				unlinkat(dirfd(sdir), e->d_name, 0);
		if (sdir != NULL)
			closedir(sdir);
		else if (sd >= 0)
			close(sd);
	}

	/*
	 * What an image-register or image-delete that was killed left in
	 * images/: ".register-NAME-PID" and ".delete-NAME-PID" whose PID is
	 * gone (a live one may still be working: kept).
	 */
	{
		int idf = bg_state_dir(BG_DIR_STATE, "images", 0755);
		DIR *idir = idf < 0 ? NULL : fdopendir(idf);

		while (idir != NULL && (e = readdir(idir)) != NULL) {
			const char *dash = strrchr(e->d_name, '-');
			char *end;
			long pid;

			if (strncmp(e->d_name, ".register-", 10) != 0 &&
			    strncmp(e->d_name, ".delete-", 8) != 0)
				continue;
			pid = dash != NULL ? strtol(dash + 1, &end, 10) : 0;
			if (pid <= 0 || *end != '\0' ||
			    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
			if (!dry)
				bg_rm_rf_at(dirfd(idir), e->d_name);
			cJSON_AddItemToArray(leftovers,
			    cJSON_CreateString(e->d_name));
		}
		if (idir != NULL)
			closedir(idir);
		else if (idf >= 0)
			close(idf);
	}

	/*
	 * banger taps that belong to no VM left — unless a kept VM's slot
	 * is unknown (its tap could be any of them).  A tap still open by
	 * a VMM is "busy": left alone.
	 */
	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX && !unknown_slot; i++) {
		char tap[16];

		if (used[i] || bg_net_tap_name(i, tap, sizeof(tap)) < 0 ||
		    !bg_net_link_exists(tap))
			continue;
		if (!dry && tap_del(i, &err) < 0) {
			if (strcmp(err.code, "busy") == 0)
				continue;
			close(g);
			cJSON_Delete(res);
			return bg_helper_fail(&h, &err);
		}
		cJSON_AddItemToArray(taps, cJSON_CreateString(tap));
	}
	close(g);
	return bg_helper_ok(&h, res);
}
