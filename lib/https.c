/*
 * https.c — an HTTPS client over BearSSL: one GET, its body streamed
 * (lib/https.h, docs/https.md).
 *
 * The connection: getaddrinfo, a non-blocking connect to each address
 * in turn within the connect timeout, or the same to an HTTP proxy and
 * a CONNECT through it; then BearSSL's client (br_ssl_client_init_full,
 * br_x509_minimal with the URL's host as SNI and the name to verify)
 * driven by br_sslio, whose read and write callbacks poll with the
 * idle timeout.  Memory: BearSSL's full-duplex buffer and a few small
 * fixed buffers, whatever the body's size.
 *
 * The response: the status line and each header line at most
 * BG_HTTPS_LINE_MAX, the block BG_HTTPS_HEAD_MAX and
 * BG_HTTPS_HEADERS_MAX lines.  The body is framed by chunked encoding,
 * else Content-Length, else the end of the connection, which must then
 * be a TLS close_notify: a bare TCP close could be an attacker cutting
 * the stream, so it is "truncated" like any early end.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bearssl.h>

#include "banger.h"
#include "https.h"

#define CERT_DER_MAX 65536 /* one certificate */
#define DN_MAX 4096 /* one certificate's subject */
#define URL_SHOW "%.512s" /* a URL in a message (bg_err.msg is 1 KiB) */

/* ---- URLs ---------------------------------------------------------- */

struct url {
	char host[256]; /* lower case; an IPv6 literal without brackets */
	char port[6];
	bool v6;
	char path[BG_HTTPS_URL_MAX + 1]; /* path and query, "/" at least */
	char user[256], pass[256]; /* a proxy's, percent-decoded */
};

static bool
has_prefix_ci(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (cap bytes, NUL included). */
static int
pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c == 0 || o + 1 >= cap)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * The authority s[0..n) ("[user:pass@]host[:port]") into u; why names
 * the problem.  Userinfo only where allowed (a proxy's).
 */
static int
parse_authority(const char *s, size_t n, bool userinfo, const char *defport,
    struct url *u, const char **why)
{
	const char *at = memrchr(s, '@', n), *h, *end = s + n, *p;
	size_t hl;

	if (at != NULL) {
		const char *colon;

		if (!userinfo) {
			*why =
			    "a user name or password in the URL is not supported";
			return -EINVAL;
		}
		colon = memchr(s, ':', (size_t)(at - s));
		if (pct_decode(s, (size_t)((colon ? colon : at) - s), u->user,
			sizeof(u->user)) < 0 ||
		    (colon &&
			pct_decode(colon + 1, (size_t)(at - colon - 1), u->pass,
			    sizeof(u->pass)) < 0)) {
			*why = "the user name or password is not valid";
			return -EINVAL;
		}
		s = at + 1;
	}
	if (s < end && *s == '[') {
		const char *rb = memchr(s, ']', (size_t)(end - s));
		struct in6_addr a6;

		if (rb == NULL || (size_t)(rb - s - 1) >= sizeof(u->host)) {
			*why = "the IPv6 address has no closing ']'";
			return -EINVAL;
		}
		memcpy(u->host, s + 1, (size_t)(rb - s - 1));
		u->host[rb - s - 1] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1) {
			*why = "the IPv6 address is not valid";
			return -EINVAL;
		}
		u->v6 = true;
		p = rb + 1;
		if (p < end && *p != ':') {
			*why = "the host is not valid";
			return -EINVAL;
		}
	} else {
		const char *colon = memchr(s, ':', (size_t)(end - s));

		h = s;
		p = colon ? colon : end;
		hl = (size_t)(p - h);
		if (hl == 0 || hl > 253) {
			*why = hl ? "the host name is too long" :
				    "the host is empty";
			return -EINVAL;
		}
		for (size_t i = 0; i < hl; i++) {
			int c = (unsigned char)h[i];

			if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
				*why =
				    "the host name has a character other than a-z, 0-9, '-', '_' and '.'";
				return -EINVAL;
			}
			u->host[i] = (char)tolower(c);
		}
		u->host[hl] = '\0';
	}
	if (p < end) { /* ":port" */
		unsigned long v = 0;
		size_t i, pl = (size_t)(end - p - 1);

		for (i = 0; i < pl; i++) {
			if (!isdigit((unsigned char)p[1 + i]) || i >= 5) {
				*why =
				    "the port is not a number from 1 to 65535";
				return -EINVAL;
			}
			v = v * 10 + (unsigned long)(p[1 + i] - '0');
		}
		if (pl == 0) {
			snprintf(u->port, sizeof(u->port), "%s", defport);
		} else if (v < 1 || v > 65535) {
			*why = "the port is not a number from 1 to 65535";
			return -EINVAL;
		} else {
			snprintf(u->port, sizeof(u->port), "%lu", v);
		}
	} else {
		snprintf(u->port, sizeof(u->port), "%s", defport);
	}
	return 0;
}

/*
 * An https URL into u.  bad_request naming the URL and the rule, and
 * saying so plainly for http:// (banger pulls over https only).
 */
static int
url_parse(const char *s, struct url *u, struct bg_err *err)
{
	const char *a, *e, *why = NULL;
	size_t n = strlen(s), i;
	struct in_addr a4;

	memset(u, 0, sizeof(*u));
	if (n > BG_HTTPS_URL_MAX) {
		bg_err_set(err, "bad_request",
		    "the URL " URL_SHOW "... is longer than %d bytes", s,
		    BG_HTTPS_URL_MAX);
		return -EINVAL;
	}
	if (has_prefix_ci(s, "http://")) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": an http:// URL is refused: banger pulls over "
			     "https only (use an https:// URL)",
		    s);
		return -EPROTONOSUPPORT;
	}
	if (!has_prefix_ci(s, "https://")) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": not an https:// URL (banger pulls over https "
			     "only: https://host[:port]/path)",
		    s);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f) {
			bg_err_set(err, "bad_request",
			    URL_SHOW
			    ": the URL has a space, a control "
			    "character or a non-ASCII byte (percent-encode "
			    "it)",
			    s);
			return -EINVAL;
		}
	a = s + strlen("https://");
	e = a + strcspn(a, "/?#");
	if (parse_authority(a, (size_t)(e - a), false, "443", u, &why) < 0) {
		bg_err_set(err, "bad_request", URL_SHOW ": %s", s, why);
		return -EINVAL;
	}
	if (u->v6 || inet_pton(AF_INET, u->host, &a4) == 1) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": an IP address as the host is not supported "
			     "(certificates are checked by host name: use the "
			     "server's DNS name)",
		    s);
		return -EINVAL;
	}
	n = strcspn(e, "#");
	if (n == 0 || *e == '?') {
		u->path[0] = '/';
		memcpy(u->path + 1, e, n);
		u->path[n + 1] = '\0';
	} else {
		memcpy(u->path, e, n);
		u->path[n] = '\0';
	}
	return 0;
}

/* host[:port] as it goes into Host and CONNECT (brackets for IPv6). */
static void
url_hostport(const struct url *u, bool always_port, char *buf, size_t n)
{
	bool port = always_port || strcmp(u->port, "443") != 0;

	snprintf(buf, n, "%s%s%s%s%s", u->v6 ? "[" : "", u->host,
	    u->v6 ? "]" : "", port ? ":" : "", port ? u->port : "");
}

/* RFC 3986 5.2.4: remove "." and ".." segments from path, in place. */
static void
remove_dots(char *path)
{
	char *in = path, *out = path;

	while (*in) {
		if (strncmp(in, "../", 3) == 0) {
			in += 3;
		} else if (strncmp(in, "./", 2) == 0) {
			in += 2;
		} else if (strncmp(in, "/./", 3) == 0) {
			in += 2;
		} else if (strcmp(in, "/.") == 0) {
			in[1] = '\0';
		} else if (strncmp(in, "/../", 4) == 0 ||
		    strcmp(in, "/..") == 0) {
			in += 3;
			if (*in == '\0') {
				in--;
				*in = '/';
			}
			while (out > path && *--out != '/')
				;
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
			in += strlen(in);
		} else {
			do
				*out++ = *in++;
			while (*in && *in != '/');
		}
	}
	*out = '\0';
}

/*
 * The URL a Location points to, from the URL base (parsed in u): an
 * absolute URL as it is; "//host/..." with https; "/path", "?query" or
 * a relative path resolved against base.  -ENAMETOOLONG, -EINVAL.
 */
static int
url_resolve(const struct url *u, const char *loc, char *out, size_t cap)
{
	char hp[300], path[BG_HTTPS_URL_MAX + 1];
	size_t n = strcspn(loc, "#"), i;
	int w;

	for (i = 0;
	     i < n && (isalnum((unsigned char)loc[i]) || strchr("+.-", loc[i]));
	     i++)
		;
	if (i > 0 && i < n && loc[i] == ':' && isalpha((unsigned char)*loc))
		w = snprintf(out, cap, "%.*s", (int)n, loc);
	else if (strncmp(loc, "//", 2) == 0)
		w = snprintf(out, cap, "https:%.*s", (int)n, loc);
	else if (n == 0)
		return -EINVAL;
	else {
		const char *q = strchr(u->path, '?');
		size_t plen = q ? (size_t)(q - u->path) : strlen(u->path);

		if (*loc == '/') {
			w = snprintf(path, sizeof(path), "%.*s", (int)n, loc);
		} else if (*loc == '?') {
			w = snprintf(path, sizeof(path), "%.*s%.*s", (int)plen,
			    u->path, (int)n, loc);
		} else {
			const char *slash = memrchr(u->path, '/', plen);
			int dl = slash ? (int)(slash - u->path + 1) : 0;

			w = snprintf(path, sizeof(path), "%.*s%.*s", dl,
			    u->path, (int)n, loc);
		}
		if (w < 0 || (size_t)w >= sizeof(path))
			return -ENAMETOOLONG;
		q = strchr(path, '?');
		if (q != NULL) {
			char query[BG_HTTPS_URL_MAX + 1];

			snprintf(query, sizeof(query), "%s", q);
			path[q - path] = '\0';
			remove_dots(path);
			if (strlen(path) + strlen(query) >= sizeof(path))
				return -ENAMETOOLONG;
			strcat(path, query);
		} else {
			remove_dots(path);
		}
		url_hostport(u, false, hp, sizeof(hp));
		w = snprintf(out, cap, "https://%s%s%s", hp,
		    *path == '/' ? "" : "/", path);
	}
	if (w < 0 || (size_t)w >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- no_proxy and the proxy URL ------------------------------------ */

bool
bg_https_proxy_ok(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strstr(s, "://") == NULL;
}

bool
bg_https_no_proxy(const char *no_proxy, const char *host)
{
	const char *p = no_proxy;
	size_t hl;

	if (no_proxy == NULL || host == NULL)
		return false;
	hl = strlen(host);
	while (*p) {
		const char *t, *e;
		size_t tl;

		p += strspn(p, ", \t");
		t = p;
		p += strcspn(p, ", \t");
		e = p;
		if (t == e)
			continue;
		if (e - t == 1 && *t == '*')
			return true;
		if (*t == '[') { /* [v6] or [v6]:port */
			const char *rb = memchr(t, ']', (size_t)(e - t));

			if (rb == NULL)
				continue;
			t++;
			e = rb;
		} else {
			const char *c = memchr(t, ':', (size_t)(e - t));

			/* host:port — one colon; more is a bare IPv6. */
			if (c != NULL &&
			    memchr(c + 1, ':', (size_t)(e - c - 1)) == NULL)
				e = c;
		}
		while (t < e && *t == '.')
			t++;
		tl = (size_t)(e - t);
		if (tl == 0)
			continue;
		if (tl == hl && strncasecmp(host, t, tl) == 0)
			return true;
		if (hl > tl && host[hl - tl - 1] == '.' &&
		    strncasecmp(host + hl - tl, t, tl) == 0)
			return true;
	}
	return false;
}

static int
proxy_parse(const char *s, struct url *u, struct bg_err *err)
{
	const char *a = s, *e, *why = NULL;

	memset(u, 0, sizeof(*u));
	if (strlen(s) > BG_HTTPS_URL_MAX) {
		bg_err_set(err, "bad_request",
		    "the proxy URL is longer than %d bytes", BG_HTTPS_URL_MAX);
		return -EINVAL;
	}
	if (has_prefix_ci(s, "http://")) {
		a = s + strlen("http://");
	} else if (strstr(s, "://") != NULL) {
		bg_err_set(err, "bad_request",
		    "the proxy " URL_SHOW " is not supported: banger speaks "
		    "to HTTP proxies only (https_proxy=http://host:port)",
		    s);
		return -EPROTONOSUPPORT;
	}
	e = a + strcspn(a, "/?#");
	for (const char *c = a; c < e; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			e = a; /* refused below as an empty host */
	if (parse_authority(a, (size_t)(e - a), true, "1080", u, &why) < 0) {
		bg_err_set(err, "bad_request",
		    "the proxy URL is not valid: %s (https_proxy=http://"
		    "[user:password@]host[:port])",
		    why);
		return -EINVAL;
	}
	return 0;
}

/* ---- trust anchors ------------------------------------------------- */

static struct {
	char path[PATH_MAX];
	br_x509_trust_anchor *ta;
	size_t n;
} anchors;

struct bytes {
	unsigned char *p;
	size_t len, cap;
	bool over;
};

static void
bytes_append(void *ctx, const void *buf, size_t len)
{
	struct bytes *b = ctx;

	if (b->over || len > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, buf, len);
	b->len += len;
}

static void *
dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q != NULL)
		memcpy(q, p, n);
	return q;
}

static void
anchor_free(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else {
		free(ta->pkey.key.ec.q);
	}
}

static void
anchors_free(br_x509_trust_anchor *ta, size_t n)
{
	for (size_t i = 0; i < n; i++)
		anchor_free(&ta[i]);
	free(ta);
}

/*
 * The anchor of one DER certificate into ta: 1, or 0 for a certificate
 * BearSSL cannot use (skipped), or -ENOMEM.
 */
static int
anchor_from_der(const unsigned char *der, size_t len, br_x509_trust_anchor *ta)
{
	br_x509_decoder_context dc;
	unsigned char dnb[DN_MAX];
	struct bytes dn = { .p = dnb, .cap = sizeof(dnb) };
	br_x509_pkey *pk;

	br_x509_decoder_init(&dc, bytes_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL || dn.over)
		return 0;
	memset(ta, 0, sizeof(*ta));
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	ta->dn.data = dup_bytes(dn.p, dn.len);
	ta->dn.len = dn.len;
	switch (pk->key_type) {
	case BR_KEYTYPE_RSA:
		ta->pkey.key.rsa.n = dup_bytes(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = dup_bytes(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (ta->dn.data == NULL || ta->pkey.key.rsa.n == NULL ||
		    ta->pkey.key.rsa.e == NULL) {
			anchor_free(ta);
			return -ENOMEM;
		}
		return 1;
	case BR_KEYTYPE_EC:
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = dup_bytes(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (ta->dn.data == NULL || ta->pkey.key.ec.q == NULL) {
			anchor_free(ta);
			return -ENOMEM;
		}
		return 1;
	default:
		free(ta->dn.data);
		return 0;
	}
}

/*
 * The anchors of the PEM file path (every CERTIFICATE in it; one that
 * BearSSL cannot decode is skipped), kept for the process: loaded again
 * only for another path.
 */
static int
anchors_load(const char *path, bool own, struct bg_err *err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ unsigned char *derb = NULL;
	struct bytes der = { .cap = CERT_DER_MAX };
	br_x509_trust_anchor *ta = NULL;
	br_pem_decoder_context pc;
	size_t len, off = 0, n = 0;
	bool cert = false, tail = false;
	const char *hint = own ?
	    "check ca_file in ~/.config/banger/config.toml" :
	    "install Debian's ca-certificates, or set ca_file in ~/.config/banger/config.toml";
	int r;

	if (anchors.ta != NULL && strcmp(anchors.path, path) == 0)
		return 0;
	if (strlen(path) >= sizeof(anchors.path)) {
		bg_err_set(err, "bad_request", "the CA file name is too long");
		return -ENAMETOOLONG;
	}
	r = bg_read_file(AT_FDCWD, path, BG_HTTPS_CA_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		bg_err_set(err, "bad_request",
		    "the CA file %s is larger than %u MiB (%s)", path,
		    BG_HTTPS_CA_FILE_MAX >> 20, hint);
		return r;
	}
	if (r < 0) {
		bg_err_set(err, "bad_request",
		    "cannot read the CA file %s: %s (%s)", path, strerror(-r),
		    hint);
		return r;
	}
	derb = malloc(CERT_DER_MAX);
	ta = calloc(BG_HTTPS_ANCHORS_MAX, sizeof(*ta));
	if (derb == NULL || ta == NULL) {
		free(ta);
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	der.p = derb;
	br_pem_decoder_init(&pc);
	/* A last newline, so that an END line at the very end counts. */
	while (off < len || !tail) {
		size_t k;
		int ev;

		if (off < len) {
			k = br_pem_decoder_push(&pc, buf + off, len - off);
			off += k;
		} else {
			k = br_pem_decoder_push(&pc, "\n", 1);
			tail = k == 1;
		}
		ev = br_pem_decoder_event(&pc);
		if (ev == BR_PEM_BEGIN_OBJ) {
			const char *name = br_pem_decoder_name(&pc);

			cert = strcmp(name, "CERTIFICATE") == 0 ||
			    strcmp(name, "X509 CERTIFICATE") == 0;
			der.len = 0;
			der.over = false;
			br_pem_decoder_setdest(&pc, cert ? bytes_append : NULL,
			    &der);
		} else if (ev == BR_PEM_END_OBJ && cert && !der.over) {
			if (n == BG_HTTPS_ANCHORS_MAX) {
				anchors_free(ta, n);
				bg_err_set(err, "bad_request",
				    "the CA file %s has more than %d "
				    "certificates (%s)",
				    path, BG_HTTPS_ANCHORS_MAX, hint);
				return -E2BIG;
			}
			r = anchor_from_der(der.p, der.len, &ta[n]);
			if (r < 0) {
				anchors_free(ta, n);
				bg_err_set(err, "temporary", "out of memory");
				return r;
			}
			n += (size_t)r;
			cert = false;
		} else if (ev == BR_PEM_ERROR) {
			anchors_free(ta, n);
			bg_err_set(err, "bad_request",
			    "the CA file %s is not valid PEM (near byte %zu; "
			    "%s)",
			    path, off, hint);
			return -EINVAL;
		} else if (ev == 0 && k == 0) {
			break; /* cannot happen: no progress, no event */
		}
	}
	if (n == 0) {
		anchors_free(ta, n);
		bg_err_set(err, "bad_request",
		    "the CA file %s holds no certificate banger can use (PEM "
		    "\"BEGIN CERTIFICATE\" blocks, RSA or EC keys; %s)",
		    path, hint);
		return -EINVAL;
	}
	anchors_free(anchors.ta, anchors.n);
	anchors.ta = ta;
	anchors.n = n;
	snprintf(anchors.path, sizeof(anchors.path), "%s", path);
	return 0;
}

/* ---- the connection ------------------------------------------------ */

enum body_mode { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };
enum chunk_state { CH_SIZE, CH_DATA, CH_CRLF };

struct bg_https {
	int fd;
	int idle_ms;
	/* The handshake, request and response head of one hop must end by
	 * this (bg_now_ms; 0: none): a server that sends a header byte a
	 * minute cannot hold a pull for ever. */
	int64_t head_deadline;
	int io_err; /* errno of the transport's failure (ETIMEDOUT) */
	bool io_eof; /* the peer closed TCP */
	bool clean_eof; /* the last tls_read ended at a close_notify */
	bool own_ca; /* ca_file, not the system's bundle (messages) */
	br_ssl_client_context sc;
	br_x509_minimal_context xc;
	br_sslio_context ioc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	unsigned char rbuf[4096];
	size_t rpos, rlen;
	char url[BG_HTTPS_URL_MAX + 1];
	char host[256];
	char status_line[160]; /* "404 Not Found" */
	int status;
	/* Response headers a caller may ask for (bg_https_header). */
	char content_type[256];
	char digest[160]; /* Docker-Content-Digest */
	char www_auth[BG_HTTPS_LINE_MAX]; /* every WWW-Authenticate, joined */
	enum body_mode mode;
	int64_t length, total;
	uint64_t start, got;
	uint64_t chunk_left;
	enum chunk_state cstate;
	bool done;
	int fail; /* sticky: the first read error */
	struct bg_err fail_err;
};

static int
poll_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };

	for (;;) {
		int64_t left = deadline - bg_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			return 0;
	}
}

static int
low_read(void *ctx, unsigned char *buf, size_t len)
{
	struct bg_https *h = ctx;
	int64_t deadline = bg_now_ms() + h->idle_ms;

	if (h->head_deadline > 0 && h->head_deadline < deadline)
		deadline = h->head_deadline;

	for (;;) {
		ssize_t n;
		int r = poll_fd(h->fd, POLLIN, deadline);

		if (r < 0) {
			h->io_err = -r;
			return -1;
		}
		n = recv(h->fd, buf, len, 0);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			h->io_eof = true;
			return -1;
		}
		if (errno != EINTR && errno != EAGAIN) {
			h->io_err = errno;
			return -1;
		}
	}
}

static int
low_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct bg_https *h = ctx;
	int64_t deadline = bg_now_ms() + h->idle_ms;

	for (;;) {
		ssize_t n;
		int r = poll_fd(h->fd, POLLOUT, deadline);

		if (r < 0) {
			h->io_err = -r;
			return -1;
		}
		n = send(h->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR && errno != EAGAIN) {
			h->io_err = errno;
			return -1;
		}
	}
}

/*
 * TCP to host:port, each address in turn, within timeout_ms in all
 * (shared among the addresses left).  what names the peer in messages
 * ("localhost port 443", "the proxy ...").
 */
static int
tcp_connect(const char *url, const char *host, const char *port,
    const char *what, int timeout_ms, struct bg_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int64_t deadline = bg_now_ms() + timeout_ms;
	int r, last = ECONNREFUSED, left = 0;
	bool timedout = false;

	/*
	 * "localhost" and "*.localhost" are the loopback addresses, never
	 * asked of a resolver (RFC 6761, 6.3; curl does the same): a
	 * host without "localhost" in /etc/hosts still reaches a local
	 * server.  getaddrinfo(NULL, ...) without AI_PASSIVE gives them.
	 */
	if (strcasecmp(host, "localhost") == 0 ||
	    (strlen(host) > 10 &&
		strcasecmp(host + strlen(host) - 10, ".localhost") == 0))
		r = getaddrinfo(NULL, port, &hints, &res);
	else
		r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		bool gone = r == EAI_NONAME
#ifdef EAI_NODATA
		    || r == EAI_NODATA
#endif
		    ;
		bg_err_set(err, gone ? "bad_request" : "temporary",
		    URL_SHOW ": cannot resolve %s: %s", url, what,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return gone ? -ENOENT : -EAGAIN;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		left++;
	for (ai = res; ai != NULL; ai = ai->ai_next, left--) {
		int64_t now = bg_now_ms(), slice;
		int fd, one = 1, soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (now >= deadline) {
			timedout = true;
			break;
		}
		slice = (deadline - now) / left;
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS && errno != EINTR) {
				last = errno;
				close(fd);
				continue;
			}
			r = poll_fd(fd, POLLOUT, now + (slice > 0 ? slice : 1));
			if (r == 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) <
				0)
				r = -errno;
			if (r == 0 && soerr != 0)
				r = -soerr;
			if (r < 0) {
				last = -r;
				timedout |= r == -ETIMEDOUT;
				close(fd);
				continue;
			}
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		freeaddrinfo(res);
		return fd;
	}
	freeaddrinfo(res);
	if (last == ETIMEDOUT || timedout)
		bg_err_set(err, "temporary",
		    URL_SHOW ": cannot connect to %s: timed out after %d ms "
			     "(connect_timeout)",
		    url, what, timeout_ms);
	else
		bg_err_set(err, "temporary",
		    URL_SHOW ": cannot connect to %s: %s", url, what,
		    strerror(last));
	return timedout ? -ETIMEDOUT : -last;
}

/* All of buf to the proxy, each write within idle_ms. */
static int
send_all(struct bg_https *h, const char *buf, size_t n)
{
	size_t w = 0;

	while (w < n) {
		ssize_t k;
		int r = poll_fd(h->fd, POLLOUT, bg_now_ms() + h->idle_ms);

		if (r < 0)
			return r;
		k = send(h->fd, buf + w, n - w, MSG_NOSIGNAL);
		if (k > 0)
			w += (size_t)k;
		else if (k < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

/* One byte from the proxy, waiting at most idle_ms. */
static int
raw_getc(struct bg_https *h, char *c)
{
	for (;;) {
		ssize_t n;
		int r = poll_fd(h->fd, POLLIN, bg_now_ms() + h->idle_ms);

		if (r < 0)
			return r;
		n = recv(h->fd, c, 1, 0);
		if (n == 1)
			return 0;
		if (n == 0)
			return -ECONNRESET;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

/*
 * CONNECT host:port through the proxy on h->fd; a 2xx opens the tunnel.
 * The answer is read a byte at a time, so that nothing of the TLS
 * stream that follows is taken.
 */
static int
proxy_connect(struct bg_https *h, const struct url *u, const struct url *px,
    struct bg_err *err)
{
	char req[2048], hp[300], line[BG_HTTPS_LINE_MAX], auth[1024] = "";
	size_t total = 0, ln = 0;
	int r, lines = 0, status = 0;

	url_hostport(u, true, hp, sizeof(hp));
	if (px->user[0] != '\0') {
		char cred[sizeof(px->user) + sizeof(px->pass) + 1];
		char b64[sizeof(cred) / 3 * 4 + 8];
		int k =
		    snprintf(cred, sizeof(cred), "%s:%s", px->user, px->pass);

		bg_base64_encode((const unsigned char *)cred, (size_t)k, b64);
		snprintf(auth, sizeof(auth),
		    "Proxy-Authorization: Basic %s\r\n", b64);
		explicit_bzero(cred, sizeof(cred));
		explicit_bzero(b64, sizeof(b64));
	}
	r = snprintf(req, sizeof(req),
	    "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: banger/%s\r\n"
	    "%s\r\n",
	    hp, hp, bg_version(), auth);
	explicit_bzero(auth, sizeof(auth));
	if (r < 0 || (size_t)r >= sizeof(req)) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the proxy's credentials are too long", h->url);
		return -ENAMETOOLONG;
	}
	r = send_all(h, req, (size_t)r);
	explicit_bzero(req, sizeof(req));
	if (r < 0)
		goto io;
	for (;;) {
		char c;

		if ((r = raw_getc(h, &c)) < 0)
			goto io;
		if (++total > BG_HTTPS_HEAD_MAX) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": the proxy's answer to CONNECT is "
				     "longer than %d bytes",
			    h->url, BG_HTTPS_HEAD_MAX);
			return -EMSGSIZE;
		}
		if (c != '\n') {
			if (ln + 1 >= sizeof(line)) {
				bg_err_set(err, "temporary",
				    URL_SHOW ": the proxy's answer to CONNECT "
					     "has a line longer than %d bytes",
				    h->url, BG_HTTPS_LINE_MAX);
				return -EMSGSIZE;
			}
			line[ln++] = c;
			continue;
		}
		if (ln > 0 && line[ln - 1] == '\r')
			ln--;
		line[ln] = '\0';
		if (lines++ == 0) {
			if (strncmp(line, "HTTP/1.", 7) != 0 ||
			    strlen(line) < 12 ||
			    !isdigit((unsigned char)line[9]) ||
			    !isdigit((unsigned char)line[10]) ||
			    !isdigit((unsigned char)line[11])) {
				bg_err_set(err, "temporary",
				    URL_SHOW
				    ": the proxy %s answered CONNECT "
				    "with something other than HTTP: %.80s",
				    h->url, px->host, line);
				return -EPROTO;
			}
			status = atoi(line + 9);
			snprintf(h->status_line, sizeof(h->status_line),
			    "%.150s", line + 9);
		} else if (ln == 0) {
			break;
		} else if (lines > BG_HTTPS_HEADERS_MAX + 1) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": the proxy's answer to CONNECT has "
				     "more than %d headers",
			    h->url, BG_HTTPS_HEADERS_MAX);
			return -EMSGSIZE;
		}
		ln = 0;
	}
	if (status == 407) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the proxy %s wants credentials (%s): put them "
			     "in https_proxy as http://user:password@host:port",
		    h->url, px->host, h->status_line);
		return -EACCES;
	}
	if (status < 200 || status > 299) {
		bg_err_set(err, "temporary",
		    URL_SHOW ": the proxy %s refused to connect to %s: %s",
		    h->url, px->host, hp, h->status_line);
		return -ECONNREFUSED;
	}
	return 0;
io:
	bg_err_set(err, "temporary", URL_SHOW ": the proxy %s: %s", h->url,
	    px->host,
	    r == -ETIMEDOUT	 ? "timed out (idle_timeout)" :
		r == -ECONNRESET ? "it closed the connection during CONNECT" :
				   strerror(-r));
	return r;
}

/* ---- TLS ----------------------------------------------------------- */

static const char *
alert_name(int a)
{
	switch (a) {
	case 40:
		return "handshake_failure";
	case 42:
		return "bad_certificate";
	case 48:
		return "unknown_ca";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 112:
		return "unrecognized_name";
	default:
		return "alert";
	}
}

/*
 * The failure of the TLS engine (or of the transport under it) in
 * words, naming the URL.  Always negative.
 */
static int
tls_fail(struct bg_https *h, struct bg_err *err)
{
	int e = br_ssl_engine_last_error(&h->sc.eng);
	const char *u = h->url;
	char ca[PATH_MAX + 64];

	/* The anchors' own copy of the name: opts may be gone by now. */
	if (h->own_ca)
		snprintf(ca, sizeof(ca), "a CA of %s (ca_file)", anchors.path);
	else
		snprintf(ca, sizeof(ca), "a trusted CA");

	if (e == BR_ERR_IO || e == BR_ERR_OK) {
		if (h->io_err == ETIMEDOUT) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": timed out: nothing from the server "
				     "for %d ms (idle_timeout)",
			    u, h->idle_ms);
			return -ETIMEDOUT;
		}
		if (h->io_err != 0) {
			bg_err_set(err, "temporary", URL_SHOW ": %s", u,
			    strerror(h->io_err));
			return -h->io_err;
		}
		bg_err_set(err, "temporary",
		    URL_SHOW ": the server closed the connection%s", u,
		    h->status == 0 ? " before answering" : "");
		return -ECONNRESET;
	}
	switch (e) {
	case BR_ERR_X509_NOT_TRUSTED:
		bg_err_set(err, "bad_request",
		    URL_SHOW
		    ": the server's certificate is not signed by %s "
		    "(set ca_file in ~/.config/banger/config.toml to trust "
		    "another CA)",
		    u, ca);
		return -EPERM;
	case BR_ERR_X509_BAD_SERVER_NAME:
		bg_err_set(err, "bad_request",
		    URL_SHOW
		    ": the server's certificate is not valid for the "
		    "host name %s (it names another host: check the URL)",
		    u, h->host);
		return -EPERM;
	case BR_ERR_X509_EXPIRED:
		bg_err_set(err, "bad_request",
		    URL_SHOW
		    ": the server's certificate has expired or is "
		    "not valid yet (check this host's clock, or tell the "
		    "server's owner)",
		    u);
		return -EPERM;
	case BR_ERR_X509_TIME_UNKNOWN:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the certificate cannot be checked: the "
			     "current time is unknown",
		    u);
		return -EPERM;
	case BR_ERR_X509_NOT_CA:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": a certificate that is not a CA's signed "
			     "another in the server's chain",
		    u);
		return -EPERM;
	case BR_ERR_X509_BAD_SIGNATURE:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": a signature in the server's certificate "
			     "chain is not valid",
		    u);
		return -EPERM;
	case BR_ERR_X509_WEAK_PUBLIC_KEY:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server's certificate has a key too weak "
			     "to trust",
		    u);
		return -EPERM;
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE:
	case BR_ERR_X509_CRITICAL_EXTENSION:
	case BR_ERR_X509_DN_MISMATCH:
	case BR_ERR_X509_EMPTY_CHAIN:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server's certificate chain cannot be "
			     "verified (BearSSL error %d)",
		    u, e);
		return -EPERM;
	case BR_ERR_UNSUPPORTED_VERSION:
	case BR_ERR_BAD_VERSION:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server speaks no TLS version banger does "
			     "(TLS 1.0 to 1.2)",
		    u);
		return -EPROTO;
	case BR_ERR_BAD_CIPHER_SUITE:
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server and banger share no cipher suite",
		    u);
		return -EPROTO;
	}
	if (e > BR_ERR_X509_OK && e <= BR_ERR_X509_NOT_TRUSTED) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server's certificate cannot be decoded "
			     "(BearSSL error %d)",
		    u, e);
		return -EPERM;
	}
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
		e -= BR_ERR_RECV_FATAL_ALERT;
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the server ended the TLS connection (alert "
			     "%d, %s)",
		    u, e, alert_name(e));
		return -EPROTO;
	}
	if (e >= BR_ERR_SEND_FATAL_ALERT) {
		e -= BR_ERR_SEND_FATAL_ALERT;
		bg_err_set(err, "temporary",
		    URL_SHOW ": banger ended the TLS connection (alert %d, "
			     "%s)",
		    u, e, alert_name(e));
		return -EPROTO;
	}
	bg_err_set(err, "temporary", URL_SHOW ": TLS error (BearSSL error %d)",
	    u, e);
	return -EPROTO;
}

static int
tls_start(struct bg_https *h, struct bg_err *err)
{
	unsigned char seed[32];

	br_ssl_client_init_full(&h->sc, &h->xc, anchors.ta, anchors.n);
	/* TLS 1.2 only: 1.0 and 1.1 are deprecated (RFC 8996). */
	br_ssl_engine_set_versions(&h->sc.eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(&h->sc.eng, h->iobuf, sizeof(h->iobuf), 1);
	/* The anchors are used during the handshake only. */
	br_ssl_engine_add_flags(&h->sc.eng, BR_OPT_NO_RENEGOTIATION);
	if (getrandom(seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		br_ssl_engine_inject_entropy(&h->sc.eng, seed, sizeof(seed));
	explicit_bzero(seed, sizeof(seed));
	if (!br_ssl_client_reset(&h->sc, h->host, 0))
		return tls_fail(h, err);
	br_sslio_init(&h->ioc, &h->sc.eng, low_read, h, low_write, h);
	return 0;
}

/*
 * Up to n decrypted bytes: > 0; 0 at the end of the stream, with
 * h->clean_eof telling a close_notify from a bare TCP close; -errno
 * with err filled.
 */
static ssize_t
tls_read(struct bg_https *h, void *buf, size_t n, struct bg_err *err)
{
	int r, e;

	if (n > (1u << 30))
		n = 1u << 30;
	r = br_sslio_read(&h->ioc, buf, n);
	if (r > 0)
		return r;
	e = br_ssl_engine_last_error(&h->sc.eng);
	if (e == BR_ERR_OK) {
		h->clean_eof = true;
		return 0;
	}
	/* A reset is an early end too (a server that closed with unread
	 * bytes). */
	if (e == BR_ERR_IO &&
	    ((h->io_eof && h->io_err == 0) || h->io_err == ECONNRESET)) {
		h->clean_eof = false;
		return 0;
	}
	return tls_fail(h, err);
}

/* 1 with bytes in rbuf, 0 at the end of the stream, -errno. */
static int
fill(struct bg_https *h, struct bg_err *err)
{
	ssize_t r;

	if (h->rpos < h->rlen)
		return 1;
	r = tls_read(h, h->rbuf, sizeof(h->rbuf), err);
	if (r <= 0)
		return (int)r;
	h->rpos = 0;
	h->rlen = (size_t)r;
	return 1;
}

/*
 * One line (CRLF or LF, taken off) into line[cap]: its length;
 * -EMSGSIZE when longer than cap - 1 or holding a NUL; -ENODATA at the
 * end of the stream; -errno with err filled.
 */
static int
read_line(struct bg_https *h, char *line, size_t cap, struct bg_err *err)
{
	size_t n = 0;

	for (;;) {
		int r = fill(h, err);
		unsigned char *s, *nl;
		size_t k;

		if (r < 0)
			return r;
		if (r == 0)
			return -ENODATA;
		s = h->rbuf + h->rpos;
		nl = memchr(s, '\n', h->rlen - h->rpos);
		k = nl ? (size_t)(nl - s) : h->rlen - h->rpos;
		if (k >= cap - n)
			return -EMSGSIZE;
		memcpy(line + n, s, k);
		n += k;
		h->rpos += k + (nl != NULL);
		if (nl != NULL)
			break;
	}
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (memchr(line, '\0', n) != NULL)
		return -EMSGSIZE;
	return (int)n;
}

/* ---- the response -------------------------------------------------- */

struct head {
	int64_t clen; /* -1: none */
	bool chunked;
	bool has_range;
	uint64_t cr_start, cr_end;
	int64_t cr_total; /* -1: "*" */
	char location[BG_HTTPS_URL_MAX + 1];
	bool has_location;
};

static bool
parse_u64(const char *s, const char **end, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (x > (uint64_t)INT64_MAX / 10)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > (uint64_t)INT64_MAX)
			return false;
	}
	*end = p;
	*v = x;
	return true;
}

/* "bytes START-END/TOTAL" (TOTAL may be "*"). */
static bool
parse_content_range(const char *v, struct head *hd)
{
	const char *p;
	uint64_t t;

	if (strncasecmp(v, "bytes", 5) != 0)
		return false;
	v += 5;
	v += strspn(v, " \t");
	if (!parse_u64(v, &p, &hd->cr_start) || *p != '-' ||
	    !parse_u64(p + 1, &p, &hd->cr_end) || *p != '/' ||
	    hd->cr_end < hd->cr_start)
		return false;
	if (strcmp(p + 1, "*") == 0) {
		hd->cr_total = -1;
		return true;
	}
	if (!parse_u64(p + 1, &p, &t) || *p != '\0' || t <= hd->cr_end)
		return false;
	hd->cr_total = (int64_t)t;
	return true;
}

static int
head_error(struct bg_https *h, const char *what, struct bg_err *err)
{
	bg_err_set(err, "temporary", URL_SHOW ": bad response: %s", h->url,
	    what);
	return -EPROTO;
}

/* A line of a header block: a too long one, the end, a failure. */
static int
head_line(struct bg_https *h, char *line, size_t *total, struct bg_err *err)
{
	int r = read_line(h, line, BG_HTTPS_LINE_MAX, err);

	if (r == -EMSGSIZE) {
		bg_err_set(err, "temporary",
		    URL_SHOW ": the response has a header line longer than "
			     "%d bytes (or a NUL byte), refused",
		    h->url, BG_HTTPS_LINE_MAX - 1);
		return r;
	}
	if (r == -ENODATA) {
		bg_err_set(err, "temporary",
		    URL_SHOW ": the server closed the connection before the "
			     "end of its headers",
		    h->url);
		return -ECONNRESET;
	}
	if (r < 0)
		return r;
	*total += (size_t)r + 2;
	if (*total > BG_HTTPS_HEAD_MAX) {
		bg_err_set(err, "temporary",
		    URL_SHOW ": the response's headers are longer than %d "
			     "bytes, refused",
		    h->url, BG_HTTPS_HEAD_MAX);
		return -EMSGSIZE;
	}
	return r;
}

/*
 * Header lines up to the empty one; hd gets what framing, ranges and
 * redirects need (NULL: trailers, read and dropped).
 */
static int
read_headers(struct bg_https *h, struct head *hd, size_t *total,
    struct bg_err *err)
{
	char line[BG_HTTPS_LINE_MAX];
	int n = 0, r;

	for (;;) {
		char *colon, *v, *e;

		if ((r = head_line(h, line, total, err)) < 0)
			return r;
		if (r == 0)
			return 0;
		if (++n > BG_HTTPS_HEADERS_MAX) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": the response has more than %d header "
				     "lines, refused",
			    h->url, BG_HTTPS_HEADERS_MAX);
			return -EMSGSIZE;
		}
		colon = strchr(line, ':');
		if (*line == ' ' || *line == '\t' || colon == NULL ||
		    colon == line)
			return head_error(h,
			    "a header line is not \"Name: value\"", err);
		*colon = '\0';
		for (char *c = line; *c; c++)
			if (*c <= ' ' || *c >= 0x7f)
				return head_error(h,
				    "a header's name is not a token", err);
		v = colon + 1 + strspn(colon + 1, " \t");
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (hd == NULL)
			continue;
		if (strcasecmp(line, "Content-Length") == 0) {
			const char *p;
			uint64_t x;

			if (!parse_u64(v, &p, &x) || *p != '\0' ||
			    (hd->clen >= 0 && (uint64_t)hd->clen != x))
				return head_error(h,
				    "Content-Length is not one number", err);
			hd->clen = (int64_t)x;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (strcasecmp(v, "chunked") != 0 && *v != '\0') {
				bg_err_set(err, "temporary",
				    URL_SHOW
				    ": the response's "
				    "Transfer-Encoding \"%.64s\" is not "
				    "supported (only chunked)",
				    h->url, v);
				return -EPROTO;
			}
			hd->chunked = *v != '\0';
		} else if (strcasecmp(line, "Content-Range") == 0) {
			if (!parse_content_range(v, hd))
				return head_error(h,
				    "Content-Range is not \"bytes START-END/TOTAL\"",
				    err);
			hd->has_range = true;
		} else if (strcasecmp(line, "Content-Type") == 0) {
			snprintf(h->content_type, sizeof(h->content_type), "%s",
			    v);
		} else if (strcasecmp(line, "Docker-Content-Digest") == 0) {
			snprintf(h->digest, sizeof(h->digest), "%s", v);
		} else if (strcasecmp(line, "WWW-Authenticate") == 0) {
			size_t k = strlen(h->www_auth);

			/* Several challenge lines are one list (RFC 7235). */
			if (k + strlen(v) + 3 > sizeof(h->www_auth))
				return head_error(h,
				    "WWW-Authenticate is too long", err);
			snprintf(h->www_auth + k, sizeof(h->www_auth) - k,
			    "%s%s", k ? ", " : "", v);
		} else if (strcasecmp(line, "Location") == 0) {
			if (strlen(v) > BG_HTTPS_URL_MAX)
				return head_error(h, "Location is too long",
				    err);
			strcpy(hd->location, v);
			hd->has_location = true;
		}
	}
}

/* The status line and headers of the response (1xx skipped). */
static int
read_head(struct bg_https *h, struct head *hd, struct bg_err *err)
{
	char line[BG_HTTPS_LINE_MAX];
	size_t total = 0;
	int r, interim = 0;

	for (;;) {
		memset(hd, 0, sizeof(*hd));
		hd->clen = -1;
		if ((r = head_line(h, line, &total, err)) < 0)
			return r;
		if (strncmp(line, "HTTP/1.", 7) != 0 ||
		    !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
		    !isdigit((unsigned char)line[9]) ||
		    !isdigit((unsigned char)line[10]) ||
		    !isdigit((unsigned char)line[11]) ||
		    (line[12] != ' ' && line[12] != '\0'))
			return head_error(h, "the status line is not HTTP/1.x",
			    err);
		h->status = atoi(line + 9);
		h->content_type[0] = h->digest[0] = h->www_auth[0] = '\0';
		snprintf(h->status_line, sizeof(h->status_line), "%.150s",
		    line + 9);
		for (char *c = h->status_line; *c; c++)
			if ((unsigned char)*c < ' ' ||
			    (unsigned char)*c >= 0x7f)
				*c = '?';
		if ((r = read_headers(h, hd, &total, err)) < 0)
			return r;
		if (h->status >= 200 || h->status == 101)
			return 0;
		if (++interim > 10)
			return head_error(h,
			    "more than 10 interim (1xx) answers", err);
	}
}

static void
conn_close(struct bg_https *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->rpos = h->rlen = 0;
	h->io_err = 0;
	h->io_eof = false;
}

/*
 * One request on a new connection to u (h->url), its response's head
 * into hd.
 */
static int
request(struct bg_https *h, const struct url *u, uint64_t offset,
    const struct bg_https_req *rq, bool auth, const struct bg_https_opts *o,
    int connect_ms, struct bg_err *err)
{
	char req[BG_HTTPS_URL_MAX + 2 * BG_HTTPS_LINE_MAX + 1024], hp[300],
	    range[64] = "";
	const char *accept =
	    rq != NULL && rq->accept != NULL ? rq->accept : "*/*";
	const char *az = auth && rq != NULL ? rq->authorization : NULL;
	struct url px;
	bool via = o != NULL && o->proxy != NULL && o->proxy[0] != '\0' &&
	    !bg_https_no_proxy(o->no_proxy, u->host);
	int fd, r;

	snprintf(h->host, sizeof(h->host), "%s", u->host);
	h->status = 0;
	if (via) {
		char what[600];

		if ((r = proxy_parse(o->proxy, &px, err)) < 0)
			return r;
		snprintf(what, sizeof(what), "the proxy %s port %s", px.host,
		    px.port);
		fd = tcp_connect(h->url, px.host, px.port, what, connect_ms,
		    err);
	} else {
		char what[300];

		snprintf(what, sizeof(what), "%s port %s", u->host, u->port);
		fd = tcp_connect(h->url, u->host, u->port, what, connect_ms,
		    err);
	}
	if (fd < 0)
		return fd;
	h->fd = fd;
	if (via && (r = proxy_connect(h, u, &px, err)) < 0)
		return r;
	explicit_bzero(&px, sizeof(px));
	if ((r = tls_start(h, err)) < 0)
		return r;
	url_hostport(u, false, hp, sizeof(hp));
	if (offset > 0)
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-\r\n",
		    offset);
	r = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: banger/%s\r\n"
	    "Accept: %s\r\nAccept-Encoding: identity\r\n%s%s%s%s"
	    "Connection: close\r\n\r\n",
	    u->path, hp, bg_version(), accept, range,
	    az != NULL ? "Authorization: " : "", az != NULL ? az : "",
	    az != NULL ? "\r\n" : "");
	if (r < 0 || (size_t)r >= sizeof(req)) {
		explicit_bzero(req, sizeof(req));
		return -ENAMETOOLONG;
	}
	r = br_sslio_write_all(&h->ioc, req, (size_t)r) < 0 ||
	    br_sslio_flush(&h->ioc) < 0;
	/* The request may carry a credential: not left on the stack. */
	explicit_bzero(req, sizeof(req));
	return r ? tls_fail(h, err) : 0;
}

static bool
is_redirect(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* The status is not 200/206/a redirect: what it means, in err. */
static int
status_error(struct bg_https *h, struct bg_err *err)
{
	int s = h->status;
	const char *code = "bad_request";
	const char *hint = "";

	if (s == 404) {
		code = "not_found";
		hint = " (check the URL)";
	} else if (s >= 500 || s == 408 || s == 429) {
		code = "temporary";
		hint = " (try again later)";
	} else if (s == 416) {
		hint = " (the offset is past the end of the file)";
	} else if (s < 400) {
		hint = " (banger expects 200, 206 or a redirect)";
	}
	bg_err_set(err, code, URL_SHOW ": %s%s", h->url, h->status_line, hint);
	return s == 404 ? -ENOENT : s == 401 || s == 403 ? -EACCES : -EPROTO;
}

/* A header value we send: printable ASCII, bounded, nothing to split. */
static bool
header_value_ok(const char *v)
{
	size_t n = 0;

	if (v == NULL)
		return true;
	for (; v[n] != '\0'; n++)
		if ((unsigned char)v[n] < ' ' || (unsigned char)v[n] >= 0x7f)
			return false;
	return n > 0 && n < BG_HTTPS_LINE_MAX;
}

int
bg_https_get(const char *url, uint64_t offset, const struct bg_https_opts *o,
    struct bg_https **out, struct bg_err *err)
{
	return bg_https_request(url, offset, NULL, o, out, err);
}

int
bg_https_request(const char *url, uint64_t offset,
    const struct bg_https_req *rq, const struct bg_https_opts *o,
    struct bg_https **out, struct bg_err *err)
{
	struct bg_https *h;
	struct url u;
	struct head hd;
	int r, hops = 0, connect_ms;
	const char *ca;
	char first[300]; /* host:port the Authorization is for */

	*out = NULL;
	if ((r = url_parse(url, &u, err)) < 0)
		return r;
	if (rq != NULL &&
	    (!header_value_ok(rq->accept) ||
		!header_value_ok(rq->authorization))) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": a request header is empty, too long or has "
			     "bytes that are not printable ASCII",
		    url);
		return -EINVAL;
	}
	url_hostport(&u, true, first, sizeof(first));
	if (offset > (uint64_t)INT64_MAX) {
		bg_err_set(err, "bad_request",
		    URL_SHOW ": the offset is too large", url);
		return -EINVAL;
	}
	ca = o != NULL && o->ca_file != NULL && o->ca_file[0] != '\0' ?
	    o->ca_file :
	    NULL;
	if ((r = anchors_load(ca ? ca : BG_HTTPS_CA_SYSTEM, ca != NULL, err)) <
	    0)
		return r;
	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	h->fd = -1;
	h->own_ca = ca != NULL;
	h->idle_ms = o != NULL && o->idle_timeout_ms > 0 ?
	    o->idle_timeout_ms :
	    BG_HTTPS_IDLE_TIMEOUT_MS;
	connect_ms = o != NULL && o->connect_timeout_ms > 0 ?
	    o->connect_timeout_ms :
	    BG_HTTPS_CONNECT_TIMEOUT_MS;
	snprintf(h->url, sizeof(h->url), "%s", url);
	for (;;) {
		char next[BG_HTTPS_URL_MAX + 1];

		char here[300];

		/* Credentials go to the host they are for, never along a
		 * redirect elsewhere (a registry's blob store, say). */
		url_hostport(&u, true, here, sizeof(here));
		h->head_deadline = bg_now_ms() + connect_ms + h->idle_ms;
		if ((r = request(h, &u, offset, rq,
			 strcasecmp(here, first) == 0, o, connect_ms, err)) <
			0 ||
		    (r = read_head(h, &hd, err)) < 0)
			goto fail;
		if (!is_redirect(h->status))
			break;
		if (!hd.has_location) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": %s without a Location", h->url,
			    h->status_line);
			r = -EPROTO;
			goto fail;
		}
		if (url_resolve(&u, hd.location, next, sizeof(next)) < 0) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": %s to a Location that is not valid "
				     "or too long",
			    h->url, h->status_line);
			r = -EPROTO;
			goto fail;
		}
		if (has_prefix_ci(next, "http://")) {
			bg_err_set(err, "bad_request",
			    URL_SHOW
			    ": redirected to " URL_SHOW ", refused: "
			    "banger never follows https to http (it pulls "
			    "over https only)",
			    h->url, next);
			r = -EPERM;
			goto fail;
		}
		if (++hops > BG_HTTPS_REDIRECTS_MAX) {
			bg_err_set(err, "bad_request",
			    URL_SHOW ": too many redirects (more than %d; the "
				     "last to " URL_SHOW ")",
			    url, BG_HTTPS_REDIRECTS_MAX, next);
			r = -ELOOP;
			goto fail;
		}
		conn_close(h);
		if ((r = url_parse(next, &u, err)) < 0) {
			char m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err->msg);
			bg_err_set(err, err->code, URL_SHOW ": redirected: %s",
			    h->url, m);
			goto fail;
		}
		snprintf(h->url, sizeof(h->url), "%s", next);
	}
	if (h->status != 200 && h->status != 206 &&
	    !(h->status == 401 && rq != NULL && rq->keep_401)) {
		r = status_error(h, err);
		goto fail;
	}
	h->start = 0;
	h->total = -1;
	h->length = hd.chunked ? -1 : hd.clen;
	h->mode = hd.chunked ? BODY_CHUNKED :
	    hd.clen >= 0     ? BODY_LENGTH :
			       BODY_CLOSE;
	if (h->status == 206) {
		if (!hd.has_range || hd.cr_start != offset) {
			bg_err_set(err, "temporary",
			    URL_SHOW ": 206 Partial Content %s (asked from "
				     "byte %" PRIu64 ")",
			    h->url,
			    hd.has_range ? "starting elsewhere" :
					   "without Content-Range",
			    offset);
			r = -EPROTO;
			goto fail;
		}
		if (hd.clen >= 0 &&
		    (uint64_t)hd.clen != hd.cr_end - hd.cr_start + 1) {
			bg_err_set(err, "temporary",
			    URL_SHOW
			    ": 206 Partial Content whose "
			    "Content-Length is not its Content-Range's",
			    h->url);
			r = -EPROTO;
			goto fail;
		}
		h->start = offset;
		h->total = hd.cr_total;
	} else if (hd.clen >= 0 && !hd.chunked) {
		h->total = hd.clen;
	}
	h->head_deadline = 0;
	*out = h;
	return 0;
fail:
	bg_https_close(h);
	return r;
}

const char *
bg_https_header(const struct bg_https *h, const char *name)
{
	const char *v = NULL;

	if (strcasecmp(name, "Content-Type") == 0)
		v = h->content_type;
	else if (strcasecmp(name, "Docker-Content-Digest") == 0)
		v = h->digest;
	else if (strcasecmp(name, "WWW-Authenticate") == 0)
		v = h->www_auth;
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
bg_https_status(const struct bg_https *h)
{
	return h->status;
}

int64_t
bg_https_length(const struct bg_https *h)
{
	return h->length;
}

uint64_t
bg_https_start(const struct bg_https *h)
{
	return h->start;
}

int64_t
bg_https_total(const struct bg_https *h)
{
	return h->total;
}

const char *
bg_https_url(const struct bg_https *h)
{
	return h->url;
}

/* Body bytes from rbuf, else straight from TLS: > 0, 0 at the end. */
static ssize_t
body_bytes(struct bg_https *h, void *buf, size_t n, struct bg_err *err)
{
	if (h->rpos < h->rlen) {
		size_t k = h->rlen - h->rpos;

		if (k > n)
			k = n;
		memcpy(buf, h->rbuf + h->rpos, k);
		h->rpos += k;
		return (ssize_t)k;
	}
	return tls_read(h, buf, n, err);
}

static int
truncated(struct bg_https *h, struct bg_err *err)
{
	if (h->mode == BODY_LENGTH)
		bg_err_set(err, "temporary",
		    URL_SHOW ": truncated: the connection closed after "
			     "%" PRIu64 " of %" PRId64 " bytes of the body",
		    h->url, h->got, h->length);
	else if (h->mode == BODY_CHUNKED)
		bg_err_set(err, "temporary",
		    URL_SHOW ": truncated: the connection closed after "
			     "%" PRIu64
			     " bytes of the body, before its last chunk",
		    h->url, h->got);
	else
		bg_err_set(err, "temporary",
		    URL_SHOW ": truncated: the connection closed after "
			     "%" PRIu64 " bytes of the body without a TLS "
			     "close_notify, so the body may be incomplete",
		    h->url, h->got);
	return -EIO;
}

/* The chunk-size line: 0 with h->chunk_left set; -errno. */
static int
chunk_size(struct bg_https *h, struct bg_err *err)
{
	char line[1024];
	uint64_t v = 0;
	const char *p;
	int r = read_line(h, line, sizeof(line), err);

	if (r == -ENODATA)
		return truncated(h, err);
	if (r == -EMSGSIZE)
		return head_error(h,
		    "a chunk-size line is longer than 1023 bytes", err);
	if (r < 0)
		return r;
	for (p = line; hexval(*p) >= 0; p++) {
		if (v >> 59)
			return head_error(h, "a chunk is too large", err);
		v = v * 16 + (uint64_t)hexval(*p);
	}
	if (p == line || (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t'))
		return head_error(h, "a chunk-size line is not hexadecimal",
		    err);
	h->chunk_left = v;
	return 0;
}

static ssize_t
read_body(struct bg_https *h, void *buf, size_t n, struct bg_err *err)
{
	ssize_t r;

	switch (h->mode) {
	case BODY_LENGTH:
		if (h->got == (uint64_t)h->length) {
			h->done = true;
			return 0;
		}
		if (n > (uint64_t)h->length - h->got)
			n = (size_t)((uint64_t)h->length - h->got);
		r = body_bytes(h, buf, n, err);
		if (r == 0)
			return truncated(h, err);
		return r;
	case BODY_CLOSE:
		r = body_bytes(h, buf, n, err);
		if (r == 0 && !h->clean_eof)
			return truncated(h, err);
		if (r == 0)
			h->done = true;
		return r;
	case BODY_CHUNKED:
		for (;;) {
			char line[4];
			size_t total = 0;

			if (h->cstate == CH_CRLF) {
				int k = read_line(h, line, 3, err);

				if (k == -ENODATA)
					return truncated(h, err);
				if (k == -EMSGSIZE || k > 0)
					return head_error(h,
					    "a chunk does not end with CRLF",
					    err);
				if (k < 0)
					return k;
				h->cstate = CH_SIZE;
			}
			if (h->cstate == CH_SIZE) {
				int k = chunk_size(h, err);

				if (k < 0)
					return k;
				if (h->chunk_left == 0) {
					/* The last chunk: trailers, dropped. */
					k = read_headers(h, NULL, &total, err);
					if (k < 0)
						return k;
					h->done = true;
					return 0;
				}
				h->cstate = CH_DATA;
			}
			if (n > h->chunk_left)
				n = (size_t)h->chunk_left;
			r = body_bytes(h, buf, n, err);
			if (r == 0)
				return truncated(h, err);
			if (r < 0)
				return r;
			h->chunk_left -= (uint64_t)r;
			if (h->chunk_left == 0)
				h->cstate = CH_CRLF;
			return r;
		}
	}
	return -EINVAL;
}

ssize_t
bg_https_read(struct bg_https *h, void *buf, size_t n, struct bg_err *err)
{
	ssize_t r;

	if (h->fail < 0) {
		if (err != NULL)
			*err = h->fail_err;
		return h->fail;
	}
	if (h->done)
		return 0;
	if (n == 0) {
		bg_err_set(err, "internal", "bg_https_read: no room");
		return -EINVAL;
	}
	if (n > (1u << 30))
		n = 1u << 30;
	r = read_body(h, buf, n, &h->fail_err);
	if (r < 0) {
		h->fail = (int)r;
		if (err != NULL)
			*err = h->fail_err;
		conn_close(h);
		return r;
	}
	h->got += (uint64_t)r;
	return r;
}

void
bg_https_close(struct bg_https *h)
{
	if (h == NULL)
		return;
	conn_close(h);
	explicit_bzero(h, sizeof(*h));
	free(h);
}
