/*
 * oci-registry.c — a client of the OCI distribution API (registry v2)
 * over lib/https.c: the manifest of a reference (an index resolved to
 * its linux/amd64 image), the image config, and each layer as a stream
 * whose bytes are counted and hashed as they pass (docs/oci-import.md).
 *
 * Authentication, as registries ask for it: a request goes out
 * anonymous (or with the token already won); a 401 carries a
 * WWW-Authenticate challenge, answered once — Bearer: a token from the
 * realm (lib/oci-auth.c), asked with the Basic credentials when the
 * user has some; Basic: the credentials themselves.  A second 401 is
 * the registry's "no".  Credentials are sent to the registry's host and
 * the token realm only (lib/https.c never carries an Authorization
 * along a redirect to another host, such as a blob store), and wiped
 * when the client is done.
 *
 * Every document is bounded (BG_OCI_JSON_MAX) and checked against its
 * digest: a manifest asked by digest must hash to it; one asked by tag
 * must hash to the Docker-Content-Digest the registry gives, when it
 * gives one.  Blobs are checked against their descriptor's size (never
 * a byte more is read) and digest when they end.  Temporary failures
 * (the network, 5xx, 429) are retried with back-off; a layer cut off
 * midway goes on from where it stopped (Range).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"
#include "oci-registry.h"

#define RETRIES 4 /* temporary failures, per request */
#define BACKOFF_MS 500 /* doubled each time */
#define ERRBODY_MAX 4096 /* what is read of an error's body */

static void
nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
bg_oci_client_init(struct bg_oci_client *c, const struct bg_oci_ref *ref,
    const struct bg_https_opts *https, const char *basic)
{
	memset(c, 0, sizeof(*c));
	c->ref = ref;
	c->https = https;
	if (basic != NULL && basic[0] != '\0')
		snprintf(c->basic, sizeof(c->basic), "%s", basic);
	bg_oci_ref_string(ref, c->name, sizeof(c->name));
}

void
bg_oci_client_wipe(struct bg_oci_client *c)
{
	explicit_bzero(c->basic, sizeof(c->basic));
	explicit_bzero(c->auth, sizeof(c->auth));
}

/* Read all of h's body, at most max bytes: *out (NUL-terminated). */
static int
read_all(struct bg_https *h, size_t max, char **out, size_t *len,
    struct bg_err *err)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t k;

	if (b == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= max + 1) {
				free(b);
				bg_err_set(err, "bad_request",
				    "%.300s: the answer is longer than %zu "
				    "bytes, refused",
				    bg_https_url(h), max);
				return -EFBIG;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(b, cap + 1);
			if (nb == NULL) {
				free(b);
				bg_err_set(err, "temporary", "out of memory");
				return -ENOMEM;
			}
			b = nb;
		}
		k = bg_https_read(h, b + n, cap - n, err);
		if (k < 0) {
			free(b);
			return (int)k;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > max) {
		free(b);
		bg_err_set(err, "bad_request",
		    "%.300s: the answer is longer than %zu bytes, refused",
		    bg_https_url(h), max);
		return -EFBIG;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
}

/* A token for the challenge: c->auth = "Bearer TOKEN". */
static int
get_token(struct bg_oci_client *c, const struct bg_oci_challenge *ch,
    struct bg_err *err)
{
	char url[BG_HTTPS_URL_MAX + 1], basic[BG_OCI_BASIC_MAX + 8];
	char token[BG_OCI_TOKEN_MAX + 1];
	struct bg_https_req rq = { .accept = "application/json" };
	struct bg_https *h = NULL;
	char *body = NULL;
	size_t len;
	int r, tries = 0;

	r = bg_oci_token_url(ch, c->ref->repo, url, sizeof(url), err);
	if (r < 0)
		return r;
	if (c->basic[0] != '\0') {
		snprintf(basic, sizeof(basic), "Basic %s", c->basic);
		rq.authorization = basic;
	}
	for (;;) {
		r = bg_https_request(url, 0, &rq, c->https, &h, err);
		if (r == 0 || strcmp(err->code, "temporary") != 0 ||
		    tries >= RETRIES)
			break;
		nap_ms(BACKOFF_MS << tries++);
	}
	if (r == 0) {
		r = read_all(h, BG_OCI_TOKEN_JSON_MAX, &body, &len, err);
		bg_https_close(h);
	}
	explicit_bzero(basic, sizeof(basic));
	if (r == -EACCES) {
		bg_err_set(err, "permission_denied",
		    "%.300s: the registry's token server refused %s: %s",
		    c->name,
		    c->basic[0] != '\0' ? "the credentials" :
					  "an anonymous pull",
		    c->basic[0] != '\0' ?
			"check the auths entry in ~/.docker/config.json" :
			"log in (docker login, or an auths entry in "
			"~/.docker/config.json)");
		return r;
	}
	if (r < 0)
		return r;
	r = bg_oci_token_parse(body, len, token, sizeof(token), err);
	explicit_bzero(body, len);
	free(body);
	if (r < 0)
		return r;
	snprintf(c->auth, sizeof(c->auth), "Bearer %s", token);
	explicit_bzero(token, sizeof(token));
	return 0;
}

/* The registry said 401 with this challenge: c->auth for the retry. */
static int
answer(struct bg_oci_client *c, const char *challenge, struct bg_err *err)
{
	struct bg_oci_challenge ch;
	int r;

	if (challenge == NULL) {
		bg_err_set(err, "permission_denied",
		    "%.300s: the registry answered 401 without saying how to "
		    "authenticate (no WWW-Authenticate)",
		    c->name);
		return -EACCES;
	}
	r = bg_oci_challenge_parse(challenge, &ch, err);
	if (r < 0)
		return r;
	if (ch.scheme == BG_OCI_AUTH_BEARER)
		return get_token(c, &ch, err);
	if (c->basic[0] == '\0') {
		bg_err_set(err, "permission_denied",
		    "%.300s: the registry wants a user name and password: log "
		    "in (docker login %s) or add an auths entry for it to "
		    "~/.docker/config.json",
		    c->name, c->ref->registry);
		return -EACCES;
	}
	snprintf(c->auth, sizeof(c->auth), "Basic %s", c->basic);
	return 0;
}

/* "the manifest foo:1" or "blob sha256:abcd…" for messages. */
static void
what_of(const struct bg_oci_client *c, const char *kind, const char *id,
    char *buf, size_t n)
{
	if (strcmp(kind, "manifests") == 0)
		snprintf(buf, n, "%s", c->name);
	else
		snprintf(buf, n, "%s: blob %.19s…", c->name, id);
}

int
bg_oci_get(struct bg_oci_client *c, const char *kind, const char *id,
    const char *accept, uint64_t offset, struct bg_https **out,
    struct bg_err *err)
{
	char url[BG_HTTPS_URL_MAX + 1], what[700];
	struct bg_https_req rq = { .accept = accept, .keep_401 = true };
	struct bg_https *h = NULL;
	int r, tries = 0, rounds = 0;

	*out = NULL;
	what_of(c, kind, id, what, sizeof(what));
	if ((size_t)snprintf(url, sizeof(url), "https://%s/v2/%s/%s/%s",
		bg_oci_ref_api_host(c->ref), c->ref->repo, kind,
		id) >= sizeof(url)) {
		bg_err_set(err, "bad_request", "%.300s: the URL is too long",
		    what);
		return -ENAMETOOLONG;
	}
	for (;;) {
		if (c->cancelled) {
			bg_err_set(err, "temporary",
			    "%.300s: the client went away: the pull stopped",
			    what);
			return -ECANCELED;
		}
		rq.authorization = c->auth[0] != '\0' ? c->auth : NULL;
		r = bg_https_request(url, offset, &rq, c->https, &h, err);
		if (r < 0 && strcmp(err->code, "temporary") == 0 &&
		    tries < RETRIES) {
			if (c->events_fd >= 0)
				bg_proto_log(c->events_fd,
				    "%.300s; trying again", err->msg);
			nap_ms(BACKOFF_MS << tries++);
			continue;
		}
		if (r == -ENOENT) {
			bg_err_set(err, "not_found",
			    strcmp(kind, "manifests") == 0 ?
				"%.300s: the registry has no such image "
				"(check the name and the tag)" :
				"%.300s: the registry does not have it "
				"(404)",
			    what);
			return r;
		}
		if (r == -EACCES) {
			bg_err_set(err, "permission_denied",
			    "%.300s: the registry refuses access (403): the "
			    "repository may be private, or your account may "
			    "not read it",
			    what);
			return r;
		}
		if (r < 0)
			return r;
		if (bg_https_status(h) != 401)
			break;
		{
			char ch[BG_OCI_CHALLENGE_MAX + 1], api[300];
			const char *v = bg_https_header(h, "WWW-Authenticate");
			bool ours;

			/*
			 * Credentials answer the registry only: a 401 from
			 * where it redirected (a blob store) is refused, not
			 * answered with the user's password.
			 */
			snprintf(api, sizeof(api), "https://%s/",
			    bg_oci_ref_api_host(c->ref));
			ours =
			    strncasecmp(bg_https_url(h), api, strlen(api)) == 0;
			if (v != NULL && strlen(v) > BG_OCI_CHALLENGE_MAX) {
				bg_https_close(h);
				bg_err_set(err, "permission_denied",
				    "%.300s: the registry's WWW-Authenticate "
				    "is longer than %d bytes: refused",
				    what, BG_OCI_CHALLENGE_MAX);
				return -EACCES;
			}
			snprintf(ch, sizeof(ch), "%s", v != NULL ? v : "");
			bg_https_close(h);
			h = NULL;
			if (!ours) {
				bg_err_set(err, "permission_denied",
				    "%.300s: a host the registry redirected to "
				    "asks for credentials (401): refused, they "
				    "are the registry's",
				    what);
				return -EACCES;
			}
			if (rounds++ > 0) {
				bg_err_set(err, "permission_denied",
				    "%.300s: the registry refuses %s (401)%s",
				    what,
				    c->basic[0] != '\0' ? "the credentials" :
							  "an anonymous pull",
				    c->basic[0] != '\0' ?
					": check the auths entry in "
					"~/.docker/config.json" :
					": log in (docker login, or an auths "
					"entry in ~/.docker/config.json)");
				return -EACCES;
			}
			r = answer(c, v != NULL ? ch : NULL, err);
			if (r < 0)
				return r;
		}
	}
	*out = h;
	return 0;
}

/* sha256:HEX of n bytes. */
static void
digest_of(const void *p, size_t n, char out[72])
{
	struct bg_sha256 s;
	char hex[65];

	bg_sha256_init(&s);
	bg_sha256_update(&s, p, n);
	bg_sha256_hex(&s, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

/* A manifest or index by tag or digest: the document, its type, digest. */
static int
get_document(struct bg_oci_client *c, const char *id, char **doc, size_t *len,
    char *ctype, size_t ctn, char digest[72], struct bg_err *err)
{
	struct bg_https *h;
	const char *given, *ct;
	int r;

	r = bg_oci_get(c, "manifests", id, BG_OCI_ACCEPT, 0, &h, err);
	if (r < 0)
		return r;
	given = bg_https_header(h, "Docker-Content-Digest");
	ct = bg_https_header(h, "Content-Type");
	snprintf(ctype, ctn, "%s", ct != NULL ? ct : "");
	{
		char g[160];

		snprintf(g, sizeof(g), "%s", given != NULL ? given : "");
		r = read_all(h, BG_OCI_JSON_MAX, doc, len, err);
		bg_https_close(h);
		if (r < 0)
			return r;
		digest_of(*doc, *len, digest);
		/* Asked by digest: that digest.  By tag: the registry's. */
		if (strncmp(id, "sha256:", 7) == 0 ?
			strcmp(id, digest) != 0 :
			g[0] != '\0' && strcmp(g, digest) != 0) {
			bg_err_set(err, "bad_request",
			    "%.300s: the manifest's sha256 is %s, not %s: "
			    "refused (a changed or corrupted document)",
			    c->name, digest,
			    strncmp(id, "sha256:", 7) == 0 ? id : g);
			free(*doc);
			*doc = NULL;
			return -EBADMSG;
		}
	}
	return 0;
}

int
bg_oci_resolve(struct bg_oci_client *c, struct bg_oci_manifest *m,
    char digest[72], struct bg_err *err)
{
	const char *id =
	    c->ref->digest[0] != '\0' ? c->ref->digest : c->ref->tag;
	char ctype[256], *doc = NULL;
	size_t len;
	int r;

	r = get_document(c, id, &doc, &len, ctype, sizeof(ctype), digest, err);
	if (r < 0)
		return r;
	if (bg_oci_document_kind(doc, len, ctype) == BG_OCI_KIND_INDEX) {
		struct bg_oci_descriptor d;

		r = bg_oci_index_pick(doc, len, ctype, "linux", "amd64", &d,
		    err);
		free(doc);
		doc = NULL;
		if (r < 0)
			goto named;
		r = get_document(c, d.digest, &doc, &len, ctype, sizeof(ctype),
		    digest, err);
		if (r < 0)
			return r;
		if (bg_oci_document_kind(doc, len, ctype) ==
		    BG_OCI_KIND_INDEX) {
			free(doc);
			bg_err_set(err, "bad_request",
			    "%.300s: the index's linux/amd64 entry is another "
			    "index: refused",
			    c->name);
			return -EBADMSG;
		}
	}
	r = bg_oci_manifest_parse(doc, len, ctype, m, err);
	free(doc);
named:
	if (r < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		bg_err_set(err, err->code, "%.300s: %.700s", c->name, msg);
	}
	return r;
}

int
bg_oci_get_config(struct bg_oci_client *c, const struct bg_oci_manifest *m,
    struct bg_oci_config *cfg, struct bg_err *err)
{
	struct bg_https *h;
	char *doc = NULL, digest[72];
	size_t len;
	int r;

	r = bg_oci_get(c, "blobs", m->config.digest, NULL, 0, &h, err);
	if (r < 0)
		return r;
	r = read_all(h, BG_OCI_JSON_MAX, &doc, &len, err);
	bg_https_close(h);
	if (r < 0)
		return r;
	digest_of(doc, len, digest);
	if (strcmp(digest, m->config.digest) != 0 || len != m->config.size) {
		bg_err_set(err, "bad_request",
		    "%.300s: the image config has sha256 %s and %zu bytes, "
		    "not %s and %llu: refused",
		    c->name, digest, len, m->config.digest,
		    (unsigned long long)m->config.size);
		free(doc);
		return -EBADMSG;
	}
	r = bg_oci_config_parse(doc, len, cfg, err);
	free(doc);
	if (r == 0)
		r = bg_oci_config_check(cfg, m, "linux", "amd64", err);
	if (r < 0) {
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		bg_err_set(err, err->code, "%.300s: %.700s", c->name, msg);
	}
	return r;
}

/* ---- a layer, as a stream ------------------------------------------ */

int
bg_oci_blob_open(struct bg_oci_blob *b, struct bg_oci_client *c,
    const struct bg_oci_descriptor *d, struct bg_err *err)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->d = d;
	bg_sha256_init(&b->sha);
	return bg_oci_get(c, "blobs", d->digest, NULL, 0, &b->h, err);
}

static ssize_t
blob_fail(struct bg_oci_blob *b, int r)
{
	b->failed = true;
	return r;
}

ssize_t
bg_oci_blob_read(void *arg, void *buf, size_t n)
{
	struct bg_oci_blob *b = arg;
	uint64_t left = b->d->size - b->got;
	ssize_t k;

	if (b->failed)
		return -EIO;
	if (b->c->cancelled) {
		bg_err_set(&b->err, "temporary",
		    "%.300s: the client went away: the pull stopped",
		    b->c->name);
		return blob_fail(b, -ECANCELED);
	}
	/* One byte past the size is asked for, so a longer blob shows. */
	if (n > left + 1)
		n = (size_t)left + 1;
	for (;;) {
		if (b->h == NULL) {
			int r = bg_oci_get(b->c, "blobs", b->d->digest, NULL,
			    b->got, &b->h, &b->err);

			if (r < 0)
				return blob_fail(b, r);
			if (bg_https_start(b->h) != b->got) {
				bg_err_set(&b->err, "temporary",
				    "%.300s: blob %.19s…: the registry "
				    "cannot resume it from byte %llu",
				    b->c->name, b->d->digest,
				    (unsigned long long)b->got);
				return blob_fail(b, -EPROTO);
			}
		}
		k = bg_https_read(b->h, buf, n, &b->err);
		if (k >= 0)
			break;
		bg_https_close(b->h);
		b->h = NULL;
		/* A budget per blob: a registry that cuts every chunk ends. */
		if (strcmp(b->err.code, "temporary") != 0 ||
		    b->retries >= BG_OCI_BLOB_RETRIES || b->c->cancelled)
			return blob_fail(b, (int)k);
		if (b->c->events_fd >= 0)
			bg_proto_log(b->c->events_fd,
			    "%.300s; going on from byte %llu", b->err.msg,
			    (unsigned long long)b->got);
		nap_ms(BACKOFF_MS << (b->retries < 4 ? b->retries : 4));
		b->retries++;
	}
	if ((uint64_t)k > left) {
		bg_err_set(&b->err, "bad_request",
		    "%.300s: blob %.19s… is longer than the %llu bytes its "
		    "manifest gives: refused",
		    b->c->name, b->d->digest, (unsigned long long)b->d->size);
		return blob_fail(b, -EBADMSG);
	}
	if (k == 0 && left > 0) {
		bg_err_set(&b->err, "bad_request",
		    "%.300s: blob %.19s… ends after %llu of the %llu bytes "
		    "its manifest gives: refused",
		    b->c->name, b->d->digest, (unsigned long long)b->got,
		    (unsigned long long)b->d->size);
		return blob_fail(b, -EBADMSG);
	}
	bg_sha256_update(&b->sha, buf, (size_t)k);
	b->got += (uint64_t)k;
	if (b->c->progress != NULL && k > 0)
		b->c->progress(b->c->progress_arg, (uint64_t)k);
	return k;
}

int
bg_oci_blob_finish(struct bg_oci_blob *b, struct bg_err *err)
{
	char buf[65536], hex[65], digest[72];
	ssize_t k;

	/* What the layer's reader left unread (padding, a trailer). */
	while (!b->failed && (k = bg_oci_blob_read(b, buf, sizeof(buf))) > 0)
		;
	if (b->failed) {
		*err = b->err;
		return -EBADMSG;
	}
	bg_sha256_hex(&b->sha, hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	if (strcmp(digest, b->d->digest) != 0) {
		bg_err_set(err, "bad_request",
		    "%.300s: a layer has sha256 %s, not the %s its manifest "
		    "gives: refused (a corrupted or changed blob)",
		    b->c->name, digest, b->d->digest);
		return -EBADMSG;
	}
	return 0;
}

void
bg_oci_blob_close(struct bg_oci_blob *b)
{
	bg_https_close(b->h);
	b->h = NULL;
}
