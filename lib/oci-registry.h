/*
 * oci-registry.h — the registry v2 client of the OCI import
 * (lib/oci-registry.c; docs/oci-import.md).
 */
#ifndef BANGER_OCI_REGISTRY_H
#define BANGER_OCI_REGISTRY_H

#include <stdint.h>
#include <sys/types.h>

#include "banger.h"
#include "https.h"
#include "oci-auth.h"
#include "oci-manifest.h"
#include "oci-ref.h"

struct bg_oci_client {
	const struct bg_oci_ref *ref;
	const struct bg_https_opts *https;
	char name[600]; /* the reference, canonical: for messages */
	char basic[BG_OCI_BASIC_MAX + 1]; /* base64 USER:PASSWORD, or "" */
	char auth[BG_OCI_TOKEN_MAX + 16]; /* the Authorization won, or "" */
	int events_fd; /* "log" events (retries); -1: none */
	/* Called with each count of layer bytes read (progress). */
	void (*progress)(void *arg, uint64_t n);
	void *progress_arg;
	/* The client hung up: every request stops (-ECANCELED). */
	bool cancelled;
};

/* basic: base64 of USER:PASSWORD for this registry, or NULL. */
void bg_oci_client_init(struct bg_oci_client *c, const struct bg_oci_ref *ref,
    const struct bg_https_opts *https, const char *basic);
/* Wipes the credentials and the token from memory. */
void bg_oci_client_wipe(struct bg_oci_client *c);

/*
 * GET /v2/REPO/KIND/ID (KIND "manifests" or "blobs"), authenticating
 * as the registry asks, retrying temporary failures: the open response
 * (200, or 206 from offset).  Errors name the reference: "not_found"
 * (404), "denied" (401 after authenticating, 403), else lib/https.c's.
 */
int bg_oci_get(struct bg_oci_client *c, const char *kind, const char *id,
    const char *accept, uint64_t offset, struct bg_https **out,
    struct bg_err *err);
/*
 * The reference's image manifest (an index resolved to its linux/amd64
 * entry) and that manifest's digest ("sha256:HEX"), checked.
 */
int bg_oci_resolve(struct bg_oci_client *c, struct bg_oci_manifest *m,
    char digest[72], struct bg_err *err);
/* The image config of m, checked against its digest, size and m. */
int bg_oci_get_config(struct bg_oci_client *c, const struct bg_oci_manifest *m,
    struct bg_oci_config *cfg, struct bg_err *err);

/* A layer blob as a stream: bg_oci_blob_read is a bg_untar_read_fn. */
struct bg_oci_blob {
	struct bg_oci_client *c;
	const struct bg_oci_descriptor *d;
	struct bg_https *h;
	uint64_t got;
	struct bg_sha256 sha;
	bool failed; /* err says why */
	int retries; /* resumes so far (at most BG_OCI_BLOB_RETRIES) */
	struct bg_err err;
};
#define BG_OCI_BLOB_RETRIES 8
int bg_oci_blob_open(struct bg_oci_blob *b, struct bg_oci_client *c,
    const struct bg_oci_descriptor *d, struct bg_err *err);
/* Up to n bytes, never past d->size; a break resumes with Range. */
ssize_t bg_oci_blob_read(void *arg, void *buf, size_t n);
/* Reads what is left, then checks size and digest: 0 or -EBADMSG. */
int bg_oci_blob_finish(struct bg_oci_blob *b, struct bg_err *err);
void bg_oci_blob_close(struct bg_oci_blob *b);

#endif
