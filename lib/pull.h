/*
 * pull.h — installing a bundle from an https URL (lib/pull.c), what
 * image-pull and kernel-pull do (docs/bundles.md).
 */
#ifndef BANGER_PULL_H
#define BANGER_PULL_H

#include "banger.h"
#include "https.h"

struct bg_pull {
	const char *kind; /* "image" or "kernel" */
	const char *name; /* installed under this name */
	const char *url; /* https:// */
	const char *sha256; /* of the bundle file */
	uint64_t size; /* of the bundle file; 0: not known */
	const char *kernel; /* images: the kernel it boots with, or NULL */
	const char *catalog; /* the catalog entry's name, or NULL */
	struct bg_https_opts https;
	int events_fd; /* progress and log events; -1: none */
};

/*
 * Download, check and install: *result is {"name","kind","version",
 * "kernel"?,"bytes","unpacked_bytes","resumed"}, or {"name","already":
 * true} when this bundle is installed under that name already.
 */
int bg_pull(const struct bg_pull *p, cJSON **result, struct bg_err *err);

/* The request of image-pull and kernel-pull, and their act. */
extern const struct bg_field bg_pull_fields[];
int bg_pull_act(struct bg_req *rq, cJSON **result, struct bg_err *err);

#endif
