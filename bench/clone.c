/*
 * clone — create a VM disk the way vm-create does (bg_clone_file:
 * FICLONE, else a sparse copy), for bench/disk-clone.
 *
 *   clone SRC DST [-v]    (-v: say which path was taken)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

int
main(int argc, char **argv)
{
	int s, d, r;

	if (argc < 3) {
		fprintf(stderr, "usage: clone SRC DST [-v]\n");
		return 100;
	}
	s = open(argv[1], O_RDONLY | O_CLOEXEC);
	d = open(argv[2], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (s < 0 || d < 0) {
		perror("clone: open");
		return 111;
	}
	r = bg_clone_file(s, d);
	if (r < 0) {
		fprintf(stderr, "clone: %s\n", strerror(-r));
		return 111;
	}
	if (fsync(d) < 0)
		return 111;
	if (argc > 3 && strcmp(argv[3], "-v") == 0)
		fprintf(stderr, "%s\n", r == 1 ? "FICLONE" : "sparse copy");
	return 0;
}
