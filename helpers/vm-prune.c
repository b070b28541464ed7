/*
 * vm-prune — remove stopped VMs and whatever a crash left half-made:
 * VMs whose create never finished (vm.json says "creating", or is
 * missing or unreadable, with nobody holding create.lock), run
 * directories of VMs that no longer exist, banger taps (bgtapN) that
 * belong to no VM, temp files of interrupted known_hosts updates, and
 * the hidden directories of killed image-register/image-delete runs
 * and of killed pulls, and the partial downloads pulls left.
 * Running VMs and VMs being created are kept.
 *
 * Request: {"v":1,"dry_run":bool}.
 * Result: {"removed":[names],"kept":[names],"taps_removed":[taps],
 *          "leftovers_removed":["images/NAME", "kernels/NAME",
 *          "cache/pulls/FILE"]}.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

/* What was made by a process that is gone: NAME-PID with PID not alive. */
static bool
leftover(const char *name, const char *prefix)
{
	const char *dash = strrchr(name, '-');
	char *end;
	long pid;

	if (strncmp(name, prefix, strlen(prefix)) != 0 || dash == NULL)
		return false;
	pid = strtol(dash + 1, &end, 10);
	return pid > 0 && *end == '\0' && kill((pid_t)pid, 0) < 0 &&
	    errno == ESRCH;
}

/* Each VM directory: kept (running, being created) or removed. */
static int
prune_vms(bool dry, bool *used, bool *unknown_slot, cJSON *removed, cJSON *kept,
    struct bg_err *err)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int r = 0;

	bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", NULL, NULL);
	d = opendir(dir);
	while (r == 0 && d != NULL && (e = readdir(d)) != NULL) {
		struct bg_vmh h;
		struct bg_err ignore;

		if (!bg_name_valid(e->d_name) ||
		    bg_vm_open(e->d_name, BG_VMH_ANY, &h, &ignore) < 0)
			continue;
		/* Never remove what is running, being created, or unknown. */
		if (bg_vm_running(&h) != 0 || bg_vm_creating(&h) != 0) {
			cJSON_AddItemToArray(kept,
			    cJSON_CreateString(e->d_name));
			if (h.loaded)
				used[h.vm.slot] = true;
			else
				*unknown_slot = true;
		} else {
			if (!dry)
				r = bg_vm_destroy(e->d_name,
				    h.loaded ? h.vm.slot : -1, err);
			if (r == 0)
				cJSON_AddItemToArray(removed,
				    cJSON_CreateString(e->d_name));
		}
		bg_vm_close(&h);
	}
	if (d != NULL)
		closedir(d);
	return r;
}

/* Run directories of VMs that are gone (and not running). */
static void
prune_rundirs(bool dry)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	bg_path_build(dir, sizeof(dir), BG_DIR_RUN, "vms", NULL, NULL);
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		_cleanup_close_ int sfd = -1, rfd = -1;

		if (!bg_name_valid(e->d_name))
			continue;
		sfd = bg_vm_dir(BG_DIR_STATE, e->d_name);
		rfd = bg_vm_dir(BG_DIR_RUN, e->d_name);
		if (sfd == -ENOENT && rfd >= 0 &&
		    bg_lock_held_at(rfd, "lock") == 0 && !dry)
			bg_rm_rf_at(dirfd(d), e->d_name);
	}
	if (d != NULL)
		closedir(d);
}

/*
 * A pull's staging directory (lib/pull.c) whose ".lock" nobody holds;
 * without one, whose PID is gone.
 */
static bool
dead_pull(int dfd, const char *name)
{
	int sfd;
	bool dead;

	if (strncmp(name, ".pull-", 6) != 0)
		return false;
	sfd =
	    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return false;
	/* No lock file yet (killed right after mkdir): its PID tells. */
	if (faccessat(sfd, ".lock", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		dead = leftover(name, ".pull-");
	else
		dead = bg_lock_held_at(sfd, ".lock") == 0;
	close(sfd);
	return dead;
}

/* In images/ or kernels/: what killed register, delete and pull runs left. */
static bool
dead_artifact(int dfd, const char *name)
{
	return leftover(name, ".register-") || leftover(name, ".delete-") ||
	    dead_pull(dfd, name);
}

static void
rm_artifact(int dfd, const char *name)
{
	bg_rm_rf_at(dfd, name);
}

/*
 * A partial download of an interrupted pull (CACHE/pulls/SHA.part),
 * which the next pull of the same bundle would resume, unless a pull
 * holds SHA.lock now; or the lock file of a killed OCI import
 * (CACHE/pulls/oci-NAME.lock) that nobody holds.
 */
static bool
dead_part(int dfd, const char *name)
{
	char lock[80];
	size_t n = strlen(name);

	/* An OCI import's lock (lib/oci-pull.c) that a killed pull left. */
	if (strncmp(name, "oci-", 4) == 0 && n > 9 &&
	    strcmp(name + n - 5, ".lock") == 0)
		return bg_lock_held_at(dfd, name) == 0;
	if (strlen(name) != 69 || strcmp(name + 64, ".part") != 0)
		return false;
	snprintf(lock, sizeof(lock), "%.64s.lock", name);
	return bg_lock_held_at(dfd, lock) == 0;
}

static void
rm_part(int dfd, const char *name)
{
	char lock[80];

	unlinkat(dfd, name, 0);
	if (strncmp(name, "oci-", 4) == 0)
		return;
	snprintf(lock, sizeof(lock), "%.64s.lock", name);
	unlinkat(dfd, lock, 0);
}

/*
 * Each entry of root d's sub that dead() says is left over: removed
 * with rm() (unless dry) and named in leftovers as "label/NAME".
 */
static void
sweep(enum bg_dir d, const char *sub, const char *label,
    bool (*dead)(int, const char *), void (*rm)(int, const char *), bool dry,
    cJSON *leftovers)
{
	int fd = bg_state_dir(d, sub, 0755);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	char rel[300];

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		if (!dead(dirfd(dir), e->d_name))
			continue;
		if (!dry)
			rm(dirfd(dir), e->d_name);
		snprintf(rel, sizeof(rel), "%s/%s", label, e->d_name);
		cJSON_AddItemToArray(leftovers, cJSON_CreateString(rel));
	}
	closedir(dir);
}

/*
 * Files of writers that were killed: temp files of known_hosts updates
 * (known_hosts is only rewritten under the global lock, which we hold)
 * and what image-register, image-delete, kernel-delete and pulls left
 * (".register-NAME-PID", ".delete-NAME-PID" whose PID is gone; a live
 * one may still be working; ".pull-NAME-PID" whose lock is free; the
 * partial downloads).
 */
static void
prune_leftovers(bool dry, cJSON *leftovers)
{
	int sd = bg_state_dir(BG_DIR_STATE, "ssh", 0755);
	DIR *sdir = sd < 0 ? NULL : fdopendir(sd);
	struct dirent *e;

	while (sdir != NULL && (e = readdir(sdir)) != NULL)
		if (strncmp(e->d_name, ".known_hosts.tmp", 16) == 0 && !dry)
			unlinkat(dirfd(sdir), e->d_name, 0);
	if (sdir != NULL)
		closedir(sdir);
	else if (sd >= 0)
		close(sd);
	sweep(BG_DIR_STATE, "images", "images", dead_artifact, rm_artifact, dry,
	    leftovers);
	sweep(BG_DIR_STATE, "kernels", "kernels", dead_artifact, rm_artifact,
	    dry, leftovers);
	sweep(BG_DIR_CACHE, "pulls", "cache/pulls", dead_part, rm_part, dry,
	    leftovers);
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	bool used[BG_NET_INDEX_MAX + 1] = { false }, unknown_slot = false;
	bool dry = bg_req_bool(rq, "dry_run");
	_cleanup_close_ int g = -1;
	cJSON *removed, *kept, *taps, *leftovers;
	int r, i;

	g = bg_lock_global_err(err);
	if (g < 0)
		return g;
	*result = cJSON_CreateObject();
	removed = cJSON_AddArrayToObject(*result, "removed");
	kept = cJSON_AddArrayToObject(*result, "kept");
	taps = cJSON_AddArrayToObject(*result, "taps_removed");
	leftovers = cJSON_AddArrayToObject(*result, "leftovers_removed");
	r = prune_vms(dry, used, &unknown_slot, removed, kept, err);
	if (r < 0)
		return r;
	prune_rundirs(dry);
	prune_leftovers(dry, leftovers);
	/*
	 * banger taps that belong to no VM left — unless a kept VM's slot
	 * is unknown (its tap could be any of them).  A tap still open by
	 * a VMM is "busy", one that is not the owner's is refused by
	 * root-tap-del: both are left alone.
	 */
	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX && !unknown_slot;
	     i++) {
		char tap[16];

		if (used[i] || bg_net_tap_name(i, tap, sizeof(tap)) < 0 ||
		    !bg_net_link_exists(tap))
			continue;
		if (!dry && bg_root("tap-del", NULL, i, NULL, err) < 0) {
			/* Open by a VMM, or not banger's: left alone. */
			if (strcmp(err->code, "busy") == 0 ||
			    strcmp(err->code, "exists") == 0)
				continue;
			return -EIO;
		}
		if (dry && bg_net_tap_mine(tap, rq->owner_uid) < 0)
			continue;
		cJSON_AddItemToArray(taps, cJSON_CreateString(tap));
	}
	return 0;
}

BG_VERB(.name = "vm-prune", .fields = BG_FIELDS(BG_F_BOOL("dry_run")),
    .act = act);
