/*
 * oci-ref.h — container image references (lib/oci-ref.c,
 * docs/oci-import.md "References").
 */
#ifndef BANGER_OCI_REF_H
#define BANGER_OCI_REF_H

#include <stdbool.h>
#include <stddef.h>

struct bg_err;

struct bg_oci_ref {
	char registry[256]; /* "docker.io", "localhost:5000", "[::1]:5000" */
	char repo[256]; /* "library/debian" */
	char tag[129]; /* "bookworm-slim"; "latest" when neither was given */
	char digest[72]; /* "sha256:<64 hex>" or "" */
};

/* s has a '/': a reference, never a catalog name. */
bool bg_oci_ref_like(const char *s);
/* NULL when s is a reference, else the rule it breaks (a phrase). */
const char *bg_oci_ref_check(const char *s);
/* Parse with Docker's defaults; bad_request naming the rule otherwise. */
int bg_oci_ref_parse(const char *s, struct bg_oci_ref *r, struct bg_err *err);
/* "REGISTRY/REPO[:TAG][@DIGEST]", everything spelled out. */
int bg_oci_ref_string(const struct bg_oci_ref *r, char *buf, size_t n);
/* The host that serves the registry API (docker.io: registry-1.docker.io). */
const char *bg_oci_ref_api_host(const struct bg_oci_ref *r);
/* The default local image name (a valid artifact name), or -EINVAL. */
int bg_oci_ref_local_name(const struct bg_oci_ref *r, char *buf, size_t n);

#endif
