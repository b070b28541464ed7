/*
 * https.h — an HTTPS client over BearSSL (lib/https.c): one GET, its
 * body streamed in bounded memory, for pulling large bundles
 * (docs/https.md).
 *
 * What it does: https:// URLs only; certificates verified against the
 * system CA bundle or opts->ca_file, with the URL's host name; HTTP/1.1
 * GET with an optional "Range: bytes=OFFSET-"; redirects (301, 302, 303,
 * 307, 308) followed up to BG_HTTPS_REDIRECTS_MAX times, never to http;
 * an HTTP CONNECT proxy with no_proxy as curl reads them; a connect
 * timeout and an idle timeout; a body that ends early is an error
 * ("truncated"), never a short read.
 *
 * Errors fill a struct bg_err naming the URL: "bad_request" for what
 * the user must fix (the URL, certificates, a 4xx), "not_found" for a
 * 404, "temporary" for the network, timeouts, 5xx, 408, 429 and a
 * truncated body.  Not thread-safe: the trust anchors are loaded once
 * per process and kept.
 */
#ifndef BANGER_HTTPS_H
#define BANGER_HTTPS_H

#include <stdint.h>
#include <sys/types.h>

#include "banger.h"

#define BG_HTTPS_CA_SYSTEM "/etc/ssl/certs/ca-certificates.crt"
#define BG_HTTPS_CA_FILE_MAX (4u << 20) /* a CA bundle's size */
#define BG_HTTPS_ANCHORS_MAX 1000 /* certificates in a CA bundle */
#define BG_HTTPS_CONNECT_TIMEOUT_MS 30000
#define BG_HTTPS_IDLE_TIMEOUT_MS 60000
#define BG_HTTPS_REDIRECTS_MAX 5
#define BG_HTTPS_URL_MAX 4096 /* a URL, a Location, a proxy URL */
#define BG_HTTPS_LINE_MAX 8192 /* one status or header line */
#define BG_HTTPS_HEAD_MAX 65536 /* a whole header block */
#define BG_HTTPS_HEADERS_MAX 100 /* lines in a header block */

struct bg_https_opts {
	/* PEM file of trusted CAs; when set it replaces the system
	 * bundle (NULL or "": BG_HTTPS_CA_SYSTEM). */
	const char *ca_file;
	/* http://[user:password@]host[:port] (port 1080 by default, as
	 * curl); NULL or "": connect directly. */
	const char *proxy;
	/* Hosts reached directly despite proxy: comma-separated, "*" for
	 * all, "example.com" or ".example.com" for the domain and its
	 * sub-domains; a ":port" on an entry is ignored. */
	const char *no_proxy;
	int connect_timeout_ms; /* <= 0: BG_HTTPS_CONNECT_TIMEOUT_MS */
	int idle_timeout_ms; /* <= 0: BG_HTTPS_IDLE_TIMEOUT_MS */
};

struct bg_https;

/*
 * GET url (with "Range: bytes=offset-" when offset > 0), following
 * redirects, up to the start of the body of a 200 or 206.  opts may be
 * NULL.  0 with *out set, or -errno with err filled.  A 206 must say
 * "Content-Range: bytes OFFSET-END/TOTAL"; a 200 to a Range request
 * means the body starts at 0 (bg_https_start).
 */
int
bg_https_get(const char *url, uint64_t offset, const struct bg_https_opts *opts,
    struct bg_https **out, struct bg_err *err);
/*
 * What a request adds to the plain GET (bg_https_request).  Header
 * values are printable ASCII, 1 to BG_HTTPS_LINE_MAX - 1 bytes.
 */
struct bg_https_req {
	const char *accept; /* the Accept header; NULL: any type */
	/* The Authorization header's value ("Bearer ...", "Basic ...");
	 * sent only to the URL's own host and port, never along a redirect
	 * to another, and wiped from memory once sent. */
	const char *authorization;
	/* A 401 is handed back (status 401, its body readable, its
	 * WWW-Authenticate in bg_https_header) rather than failed. */
	bool keep_401;
};

/*
 * bg_https_get with request headers (rq may be NULL).  Errors as
 * bg_https_get's, with -ENOENT for a 404 and -EACCES for 401 and 403.
 */
int bg_https_request(const char *url, uint64_t offset,
    const struct bg_https_req *rq, const struct bg_https_opts *opts,
    struct bg_https **out, struct bg_err *err);
/*
 * A header of the final response: "Content-Type",
 * "Docker-Content-Digest" or "WWW-Authenticate" (every challenge line
 * joined with ", "); NULL when absent (other names: always NULL).
 */
const char *bg_https_header(const struct bg_https *h, const char *name);
/* 200 or 206 (or 401 with keep_401). */
int bg_https_status(const struct bg_https *h);
/* The body's length (Content-Length), -1 when not known in advance. */
int64_t bg_https_length(const struct bg_https *h);
/* Where the body starts in the resource: 0, or the offset on a 206. */
uint64_t bg_https_start(const struct bg_https *h);
/* The whole resource's size when known (Content-Range, or a 200's
 * Content-Length), else -1. */
int64_t bg_https_total(const struct bg_https *h);
/* The URL that answered, after redirects. */
const char *bg_https_url(const struct bg_https *h);
/*
 * Up to n body bytes: a count > 0; 0 only at the verified end (all of
 * Content-Length, the last chunk, or a TLS close_notify when the body
 * has no length); -errno with err filled, and the same again on every
 * later call.  An early end is "truncated" (temporary).
 */
ssize_t
bg_https_read(struct bg_https *h, void *buf, size_t n, struct bg_err *err);
/* Closes the connection and frees h (NULL is fine). */
void bg_https_close(struct bg_https *h);

/* http://[user:pass@]host[:port] or host:port (docs/https.md). */
bool bg_https_proxy_ok(const char *s);
/*
 * A pull request's TLS and proxy fields (image-pull, kernel-pull,
 * image-import-oci).  ca_file is a path, not a name: these helpers are
 * the owner's, on the owner's 0600 socket, and read it as the owner — no
 * privilege is crossed (names, not paths, across the root boundary:
 * docs/conventions.md).
 */
#define BG_F_HTTPS_OPTS \
	{ .key = "ca_file", \
		.type = BG_T_STR, \
		.max = PATH_MAX - 1, \
		.valid = bg_abs_path_valid, \
		.what = "an absolute path (no . or .. components)" }, \
	    { .key = "proxy", \
		    .type = BG_T_STR, \
		    .max = BG_HTTPS_URL_MAX, \
		    .valid = bg_https_proxy_ok, \
		    .what = "an http:// proxy URL or host:port" }, \
	{ \
		.key = "no_proxy", .type = BG_T_STR, .max = 4096 \
	}

/* Exposed for tests: does host match the no_proxy list? */
bool bg_https_no_proxy(const char *no_proxy, const char *host);

#endif
