/*
 * vm-dir.c — a VM's directory (STATE/vms/<name> or RUN/vms/<name>)
 * opened beneath its root without following any symlink.  A file of
 * its own so that root helpers can open a VM's directories without
 * linking the vm.json model (lib/vm.c) and the VMM drivers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "banger.h"

int
bg_vm_dir(enum bg_dir d, const char *name)
{
	char root[PATH_MAX], rel[BG_NAME_MAX + 8];
	int rfd, fd, r;

	if (!bg_name_valid(name))
		return -EINVAL;
	r = bg_path_dir(d, root, sizeof(root));
	if (r < 0)
		return r;
	/*
	 * The root comes from compiled-in paths (or BANGER_ROOT); below it
	 * everything is the owner's, so "vms/<name>" is resolved beneath it
	 * with no symlink followed.
	 */
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	snprintf(rel, sizeof(rel), "vms/%s", name);
	fd = bg_openat_beneath(rfd, rel, O_RDONLY | O_DIRECTORY, 0);
	close(rfd);
	return fd;
}
