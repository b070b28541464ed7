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

#include "banger.h"

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	const char *name = bg_req_str(rq, "name");
	_cleanup_close_ int dfd = -1;
	char gone[BG_NAME_MAX + 40];
	struct stat st;
	int r;

	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	if (dfd < 0) {
		bg_err_set(err, "temporary",
		    "cannot open the images directory: %s", strerror(-dfd));
		return dfd;
	}
	snprintf(gone, sizeof(gone), ".delete-%s-%ld", name, (long)getpid());
	/* Not ours (root installed it): refuse before anything moves, or
	 * it would leave the list but not the disk. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_uid != geteuid())
		r = -EPERM;
	else if (renameat2(dfd, name, dfd, gone, RENAME_NOREPLACE) < 0)
		r = -errno;
	else
		r = 0;
	if (r == -ENOENT)
		bg_err_set(err, "not_found",
		    "no image named \"%s\": banger image list shows the images",
		    name);
	else if (r == -EACCES || r == -EPERM)
		bg_err_set(err, "permission_denied",
		    "image \"%s\" is not yours "
		    "to delete (it was installed by root)",
		    name);
	else if (r < 0)
		bg_err_set(err, "temporary", "cannot delete image \"%s\": %s",
		    name, strerror(-r));
	if (r < 0)
		return r;
	r = bg_rm_rf_at(dfd, gone);
	if (r < 0) {
		bg_err_set(err, "temporary",
		    "image \"%s\" is gone from the "
		    "list, but removing its files failed: %s",
		    name, strerror(-r));
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddTrueToObject(*result, "deleted");
	return 0;
}

BG_VERB(.name = "image-delete",
    .fields = BG_FIELDS(BG_F_ARTIFACT("name", true)), .act = act);
