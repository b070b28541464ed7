/*
 * image-delete — remove an installed image: STATE/images/NAME.
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name","deleted":true}.
 * The directory is first renamed to a hidden name (so no half-deleted
 * image is ever listed or used), then removed.  VMs made from the
 * image keep working: each has its own copy of the root file system.
 * An image installed by root (not the owner's) cannot be deleted here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", NULL };

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	const char *name;
	char gone[BG_NAME_MAX + 40];
	struct stat st;
	cJSON *res;
	int dfd, r;

	PROG = "banger-image-delete";
	r = bg_helper_begin(&h, "image-delete", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0 ||
	    (name = bg_req_artifact(h.req, "name", &err)) == NULL)
		return bg_helper_fail(&h, &err);
	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	if (dfd < 0) {
		bg_err_set(&err, "temporary", "cannot open the images directory: %s",
		    strerror(-dfd));
		return bg_helper_fail(&h, &err);
	}
	snprintf(gone, sizeof(gone), ".delete-%s-%ld", name, (long)getpid());
	/* Not ours (root installed it): refuse before anything moves, or
	 * it would leave the list but not the disk. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_uid != geteuid())
		errno = EPERM, r = -1;
	else
		r = renameat2(dfd, name, dfd, gone, RENAME_NOREPLACE);
	if (r < 0) {
		r = errno;
		close(dfd);
		if (r == ENOENT)
			bg_err_set(&err, "not_found", "no image named \"%s\": "
			    "banger image list shows the images", name);
		else if (r == EACCES || r == EPERM)
			bg_err_set(&err, "permission_denied", "image \"%s\" is "
			    "not yours to delete (it was installed by root)", name);
		else
			bg_err_set(&err, "temporary", "cannot delete image "
			    "\"%s\": %s", name, strerror(r));
		return bg_helper_fail(&h, &err);
	}
	r = bg_rm_rf_at(dfd, gone);
	close(dfd);
	if (r < 0) {
		bg_err_set(&err, "temporary", "image \"%s\" is gone from the "
		    "list, but removing its files failed: %s", name, strerror(-r));
		return bg_helper_fail(&h, &err);
	}
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddTrueToObject(res, "deleted");
	return bg_helper_ok(&h, res);
}
