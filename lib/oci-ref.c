/*
 * oci-ref.c — container image references, [REGISTRY/]REPO[:TAG][@DIGEST]
 * (docs/oci-import.md, "References"), read the way Docker reads them:
 *
 *   - the first component is the registry when it has a '.' or a ':'
 *     or is "localhost"; otherwise the registry is docker.io;
 *   - on docker.io a one-component repository is under "library/";
 *   - no tag and no digest means the tag "latest";
 *   - with a digest, the digest is what is pulled (a tag beside it is
 *     kept only to be shown).
 *
 * The grammar is the distribution project's (reference/regexp.go),
 * written out by hand: path components [a-z0-9]+ joined by '.', '_',
 * "__" or runs of '-'; tags [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a
 * registry of host-name labels with an optional :PORT (1-65535); at
 * most 255 bytes.  Digests: sha256 only (64 lower-case hex).
 *
 * A catalog name ([a-z0-9.-], lib/name.c) never has a '/'; a reference
 * must have one, so the two are never confused, and nothing short is
 * silently taken for Docker Hub: `debian` and `debian:12` are refused
 * as references, `docker.io/debian` or `library/debian:12` are what
 * Docker would pull.  The CLI checks operands with the same code.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "banger.h"
#include "oci-ref.h"

#define NAME_MAX_LEN 255

bool
bg_oci_ref_like(const char *s)
{
	return s != NULL && strchr(s, '/') != NULL;
}

#define OCI_TAG_MAX 128

static bool
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* over [s, e). */
static bool
oci_path_component(const char *s, const char *e)
{
	const char *p = s;

	for (;;) {
		const char *run = p;

		while (p < e && lower_alnum(*p))
			p++;
		if (p == run)
			return false;
		if (p == e)
			return true;
		if (*p == '.')
			p++;
		else if (*p == '_')
			p += p + 1 < e && p[1] == '_' ? 2 : 1;
		else if (*p == '-')
			while (p < e && *p == '-')
				p++;
		else
			return false;
	}
}

/*
 * A registry: host names ([A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*
 * [A-Za-z0-9], joined by '.'), then an optional :PORT (1 to 65535).
 */
static bool
oci_host(const char *s, const char *e)
{
	const char *colon = memchr(s, ':', (size_t)(e - s)), *p, *label;
	const char *hend = colon != NULL ? colon : e;
	long port = 0;

	for (p = s;;) {
		label = p;
		while (p < hend && (isalnum((unsigned char)*p) || *p == '-'))
			p++;
		if (p == label || *label == '-' || p[-1] == '-')
			return false;
		if (p == hend)
			break;
		if (*p++ != '.')
			return false;
	}
	if (colon == NULL)
		return true;
	if (e - colon < 2 || e - colon > 6)
		return false;
	for (p = colon + 1; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

/*
 * NULL if s is an OCI reference in the distribution grammar, else the
 * rule it breaks.  The reference must have a '/' (so "debian" and
 * "debian:12" are never taken for Docker Hub), and its whole length is
 * at most 255 bytes.
 */
const char *
bg_oci_ref_check(const char *s)
{
	const char *at = strchr(s, '@'), *end, *slash, *colon, *p, *c;
	size_t k;

	if (strlen(s) > NAME_MAX_LEN)
		return "the reference is too long (more than 255 bytes)";
	end = at != NULL ? at : s + strlen(s);
	if (at != NULL) {
		if (strncmp(at + 1, "sha256:", 7) != 0 ||
		    strlen(at + 8) != 64 ||
		    strspn(at + 8, "0123456789abcdef") != 64)
			return "a digest is @sha256: and 64 lowercase hex "
			       "digits";
	}
	/* The tag: after the last ':' that follows the last '/'. */
	for (slash = NULL, p = s; p < end; p++)
		if (*p == '/')
			slash = p;
	colon = NULL;
	for (p = slash != NULL ? slash : s; p < end; p++)
		if (*p == ':')
			colon = p;
	if (slash == NULL)
		return "an OCI reference has at least one '/' "
		       "(docker.io/library/debian:12, library/debian:12)";
	if (colon != NULL) {
		size_t tl = (size_t)(end - colon - 1);

		if (tl == 0 || tl > OCI_TAG_MAX || colon[1] == '.' ||
		    colon[1] == '-')
			return "a tag is 1 to 128 letters, digits, '_', '.' "
			       "and '-', not starting with '.' or '-'";
		for (k = 1; k <= tl; k++)
			if (!isalnum((unsigned char)colon[k]) &&
			    !strchr("_.-", colon[k]))
				return "a tag is 1 to 128 letters, digits, "
				       "'_', '.' and '-', not starting with '.' "
				       "or '-'";
		end = colon;
	}
	/* HOST[:PORT]/PATH/...: the first part is a registry if it has a
	 * '.' or a ':' or is "localhost". */
	p = s;
	c = memchr(s, '/', (size_t)(end - s));
	if (c != NULL &&
	    (memchr(s, '.', (size_t)(c - s)) != NULL ||
		memchr(s, ':', (size_t)(c - s)) != NULL ||
		(c - s == 9 && strncmp(s, "localhost", 9) == 0))) {
		if (!oci_host(s, c))
			return "the registry is a host name (letters, digits, "
			       "'-' and '.') with an optional :PORT";
		p = c + 1;
	}
	for (;;) {
		c = memchr(p, '/', (size_t)(end - p));
		if (c == NULL)
			c = end;
		if (c == p)
			return "a path has no empty parts ('//', or '/' at "
			       "an end)";
		if (!oci_path_component(p, c))
			return "each part of the path is lowercase letters "
			       "and digits, joined by one '.', '_' or '__', or "
			       "by '-'s";
		if (c == end)
			return NULL;
		p = c + 1;
	}
}

static int
fail(struct bg_err *err, const char *s, const char *why)
{
	bg_err_set(err, "bad_request",
	    "\"%.300s\" is not an image reference: %s (the form is "
	    "[REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. "
	    "docker.io/library/debian:bookworm-slim)",
	    s, why);
	return -EINVAL;
}

int
bg_oci_ref_parse(const char *s, struct bg_oci_ref *r, struct bg_err *err)
{
	const char *why = s != NULL ? bg_oci_ref_check(s) : "it is empty";
	char buf[NAME_MAX_LEN + 1];
	char *at, *slash, *colon, *path;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (why != NULL)
		return fail(err, s != NULL ? s : "", why);
	n = strlen(s);
	memcpy(buf, s, n + 1);
	at = strchr(buf, '@');
	if (at != NULL) {
		memcpy(r->digest, at + 1, strlen(at + 1) + 1);
		*at = '\0';
	}
	slash = strrchr(buf, '/');
	colon = strrchr(slash, ':');
	if (colon != NULL) {
		memcpy(r->tag, colon + 1, strlen(colon + 1) + 1);
		*colon = '\0';
	}
	slash = strchr(buf, '/');
	path = buf;
	if (memchr(buf, '.', (size_t)(slash - buf)) != NULL ||
	    memchr(buf, ':', (size_t)(slash - buf)) != NULL ||
	    (slash - buf == 9 && strncmp(buf, "localhost", 9) == 0)) {
		*slash = '\0';
		snprintf(r->registry, sizeof(r->registry), "%s", buf);
		path = slash + 1;
	} else {
		snprintf(r->registry, sizeof(r->registry), "docker.io");
	}
	n = strlen(path);
	if (strcmp(r->registry, "docker.io") == 0 &&
	    strchr(path, '/') == NULL) {
		memcpy(r->repo, "library/", 8);
		memcpy(r->repo + 8, path, n + 1);
	} else {
		memcpy(r->repo, path, n + 1);
	}
	if (r->tag[0] == '\0' && r->digest[0] == '\0')
		snprintf(r->tag, sizeof(r->tag), "latest");
	return 0;
}

int
bg_oci_ref_string(const struct bg_oci_ref *r, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/%s%s%s%s%s", r->registry, r->repo,
	    r->tag[0] ? ":" : "", r->tag, r->digest[0] ? "@" : "", r->digest);

	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

const char *
bg_oci_ref_api_host(const struct bg_oci_ref *r)
{
	/* Docker Hub's name and its registry API's host differ. */
	if (strcmp(r->registry, "docker.io") == 0 ||
	    strcmp(r->registry, "index.docker.io") == 0)
		return "registry-1.docker.io";
	return r->registry;
}

/*
 * A local image name (bg_artifact_name_valid): the repository's last
 * component, then the tag unless it is "latest", or the digest's first
 * 12 digits; '_' becomes '-', upper case lower; at most 63 bytes.
 */
int
bg_oci_ref_local_name(const struct bg_oci_ref *r, char *buf, size_t n)
{
	const char *last = strrchr(r->repo, '/');
	char raw[512];
	size_t i, o = 0;

	last = last != NULL ? last + 1 : r->repo;
	if (r->digest[0])
		snprintf(raw, sizeof(raw), "%s-%.12s", last, r->digest + 7);
	else if (strcmp(r->tag, "latest") != 0)
		snprintf(raw, sizeof(raw), "%s-%s", last, r->tag);
	else
		snprintf(raw, sizeof(raw), "%s", last);
	if (n < 2)
		return -ENAMETOOLONG;
	for (i = 0; raw[i] != '\0' && o < BG_NAME_MAX && o + 1 < n; i++) {
		char c = raw[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c == '_')
			c = '-';
		/* No ".." and no "-." runs that read badly: keep it plain. */
		if (c == '.' && o > 0 && buf[o - 1] == '.')
			continue;
		if (o == 0 && !lower_alnum(c))
			continue;
		buf[o++] = c;
	}
	while (o > 0 && (buf[o - 1] == '.' || buf[o - 1] == '-'))
		o--;
	buf[o] = '\0';
	return bg_artifact_name_valid(buf) ? 0 : -EINVAL;
}
