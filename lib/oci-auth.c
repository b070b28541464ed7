/*
 * oci-auth.c — registry authentication without I/O (oci-auth.h,
 * docs/oci-import.md).
 *
 * A registry that wants credentials answers 401 with a challenge
 * (RFC 7235):
 *
 *   WWW-Authenticate: Bearer realm="https://auth.docker.io/token",
 *       service="registry.docker.io",scope="repository:library/debian:pull"
 *
 * Bearer (distribution's token protocol): GET the realm with service=
 * and scope= in the query, anonymously or with Basic credentials, and
 * send the "token" of its JSON answer as "Authorization: Bearer".
 * Basic: send "Authorization: Basic" with base64 of USER:PASSWORD.
 * Credentials come from ~/.docker/config.json's "auths", matched the
 * way Docker matches them; credential helpers are not run.
 *
 * The grammar parsed (RFC 7235 section 2.1, RFC 7230 section 3.2.6):
 *
 *   header       = *( "," OWS ) challenge *( OWS "," [ OWS challenge ] )
 *   challenge    = scheme [ 1*SP ( token68 / auth-param
 *                  *( OWS "," [ OWS auth-param ] ) ) ]
 *   auth-param   = token BWS "=" BWS ( token / quoted-string )
 *
 * After a comma, a token followed by "=" is another parameter, any
 * other token starts the next challenge.  Schemes and parameter names
 * are case-insensitive; a parameter twice in one challenge is refused.
 * Every value read is bounded, whether banger uses it or not.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banger.h"
#include "oci-auth.h"

#define WHAT "the registry's WWW-Authenticate header"

static bool
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') ||
	    (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool
is_token68(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') ||
	    (ch != '\0' && strchr("-._~+/", ch) != NULL);
}

static bool
is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

struct hparse {
	const char *s;
	size_t i, n;
	struct bg_err *err;
};

static void
skip_ows(struct hparse *p)
{
	while (p->i < p->n && is_ows(p->s[p->i]))
		p->i++;
}

static size_t
token_len(const struct hparse *p, size_t at)
{
	size_t k = 0;

	while (at + k < p->n && is_tchar((unsigned char)p->s[at + k]))
		k++;
	return k;
}

static int
malformed(struct hparse *p, const char *what)
{
	bg_err_set(p->err, "bad_request",
	    WHAT " is malformed: %s at byte %zu (RFC 7235: SCHEME "
		 "name=value, name=\"quoted value\", ...)",
	    what, p->i + 1);
	return -EINVAL;
}

/*
 * A token or a quoted-string at p->i into v (at most
 * BG_OCI_CHALLENGE_VALUE_MAX bytes, unescaped, NUL-terminated).
 */
static int
param_value(struct hparse *p, const char *name, size_t name_len, char *v)
{
	size_t len = 0;

	if (p->i < p->n && p->s[p->i] != '"') {
		size_t k = token_len(p, p->i);

		if (k == 0)
			return malformed(p,
			    "a value that is neither a token "
			    "nor a quoted string");
		if (k > BG_OCI_CHALLENGE_VALUE_MAX)
			goto too_long;
		memcpy(v, p->s + p->i, k);
		v[k] = '\0';
		p->i += k;
		return 0;
	}
	if (p->i >= p->n)
		return malformed(p, "a parameter without a value");
	p->i++;
	for (;;) {
		unsigned char ch;

		if (p->i >= p->n)
			return malformed(p, "an unterminated quoted string");
		ch = (unsigned char)p->s[p->i];
		if (ch == '"')
			break;
		if (ch == '\\') {
			p->i++;
			if (p->i >= p->n)
				return malformed(p,
				    "an unterminated quoted "
				    "string");
			ch = (unsigned char)p->s[p->i];
		}
		/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text. */
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return malformed(p, "a control character");
		if (len >= BG_OCI_CHALLENGE_VALUE_MAX)
			goto too_long;
		v[len++] = (char)ch;
		p->i++;
	}
	p->i++;
	v[len] = '\0';
	return 0;
too_long:
	bg_err_set(p->err, "bad_request",
	    WHAT "'s parameter \"%.*s\" is longer than %d bytes",
	    (int)(name_len > 64 ? 64 : name_len), name,
	    BG_OCI_CHALLENGE_VALUE_MAX);
	return -EINVAL;
}

static bool
name_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

/*
 * The auth-params of one challenge, from p->i to the end of the header
 * or the start of the next challenge.  Values of realm, service, scope
 * and error go into c when c is not NULL.
 */
static int
params(struct hparse *p, struct bg_oci_challenge *c, bool *more)
{
	struct {
		const char *s;
		size_t len;
	} seen[BG_OCI_CHALLENGE_PARAMS_MAX];
	size_t nseen = 0, j, k;
	char v[BG_OCI_CHALLENGE_VALUE_MAX + 1];
	int r;

	for (;;) {
		const char *name = p->s + p->i;
		size_t len = token_len(p, p->i);

		if (len == 0)
			return malformed(p, "a parameter without a name");
		for (j = 0; j < nseen; j++)
			if (seen[j].len == len &&
			    strncasecmp(seen[j].s, name, len) == 0) {
				bg_err_set(p->err, "bad_request",
				    WHAT " is malformed: the parameter "
					 "\"%.*s\" is given twice in one "
					 "challenge",
				    (int)(len > 64 ? 64 : len), name);
				return -EINVAL;
			}
		if (nseen == BG_OCI_CHALLENGE_PARAMS_MAX) {
			bg_err_set(p->err, "bad_request",
			    WHAT " has more than %d parameters in one "
				 "challenge",
			    BG_OCI_CHALLENGE_PARAMS_MAX);
			return -EINVAL;
		}
		seen[nseen].s = name;
		seen[nseen++].len = len;
		p->i += len;
		skip_ows(p);
		if (p->i >= p->n || p->s[p->i] != '=')
			return malformed(p, "a parameter without '='");
		p->i++;
		skip_ows(p);
		r = param_value(p, name, len, v);
		if (r < 0)
			return r;
		if (c != NULL) {
			char *dst = name_is(name, len, "realm") ? c->realm :
			    name_is(name, len, "service")	? c->service :
			    name_is(name, len, "scope")		? c->scope :
			    name_is(name, len, "error")		? c->error :
								  NULL;
			if (dst != NULL)
				memcpy(dst, v, strlen(v) + 1);
		}
		skip_ows(p);
		if (p->i >= p->n) {
			*more = false;
			return 0;
		}
		if (p->s[p->i] != ',')
			return malformed(p, "a missing ',' between parameters");
		/* Empty list elements are allowed: ", ,". */
		j = p->i;
		while (j < p->n && (is_ows(p->s[j]) || p->s[j] == ','))
			j++;
		p->i = j;
		if (j >= p->n) {
			*more = false;
			return 0;
		}
		k = token_len(p, j);
		if (k == 0)
			return malformed(p, "a parameter without a name");
		j += k;
		while (j < p->n && is_ows(p->s[j]))
			j++;
		if (j >= p->n || p->s[j] != '=') {
			*more = true; /* the next challenge's scheme */
			return 0;
		}
	}
}

/* An https:// URL of printable ASCII with a host, no userinfo, no fragment. */
static const char *
realm_check(const char *realm)
{
	const char *h = realm + 8, *e;

	if (strncasecmp(realm, "https://", 8) != 0)
		return "is not an https:// URL";
	for (const char *q = realm; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f ||
		    strchr("\"<>\\^`{|}", *q) != NULL)
			return "has a character not allowed in a URL";
	if (strchr(realm, '#') != NULL)
		return "has a fragment ('#')";
	e = h + strcspn(h, "/?");
	if (e == h)
		return "has no host";
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return "has credentials in it ('@')";
	return NULL;
}

int
bg_oci_challenge_parse(const char *header, struct bg_oci_challenge *c,
    struct bg_err *err)
{
	struct bg_oci_challenge bearer, basic;
	struct hparse p = { .s = header, .err = err };
	bool have_bearer = false, have_basic = false, more = true;
	const char *other = NULL, *why;
	size_t other_len = 0;
	int r;

	memset(&bearer, 0, sizeof(bearer));
	memset(&basic, 0, sizeof(basic));
	p.n = strnlen(header, BG_OCI_CHALLENGE_MAX + 1);
	if (p.n > BG_OCI_CHALLENGE_MAX) {
		bg_err_set(err, "bad_request", WHAT " is longer than %d bytes",
		    BG_OCI_CHALLENGE_MAX);
		return -EINVAL;
	}
	while (more) {
		struct bg_oci_challenge *target = NULL;
		const char *scheme;
		bool known = true;
		size_t len;

		while (p.i < p.n && (is_ows(p.s[p.i]) || p.s[p.i] == ','))
			p.i++;
		if (p.i >= p.n)
			break;
		scheme = p.s + p.i;
		len = token_len(&p, p.i);
		if (len == 0)
			return malformed(&p, "a challenge without a scheme");
		if (name_is(scheme, len, "Bearer")) {
			target = have_bearer ? NULL : &bearer;
			have_bearer = true;
		} else if (name_is(scheme, len, "Basic")) {
			target = have_basic ? NULL : &basic;
			have_basic = true;
		} else {
			known = false;
			if (other == NULL) {
				other = scheme;
				other_len = len;
			}
		}
		p.i += len;
		more = false;
		if (p.i < p.n && !is_ows(p.s[p.i]) && p.s[p.i] != ',')
			return malformed(&p,
			    "a scheme not followed by a space");
		skip_ows(&p);
		if (p.i >= p.n || p.s[p.i] == ',') {
			more = p.i < p.n;
			continue;
		}
		/* token68 ends the challenge: only other schemes use one. */
		len = 0;
		while (p.i + len < p.n &&
		    is_token68((unsigned char)p.s[p.i + len]))
			len++;
		while (len > 0 && p.i + len < p.n && p.s[p.i + len] == '=')
			len++;
		if (len > 0) {
			size_t j = p.i + len;

			while (j < p.n && is_ows(p.s[j]))
				j++;
			if (j >= p.n || p.s[j] == ',') {
				if (!known) {
					p.i = j;
					more = j < p.n;
					continue;
				}
				return malformed(&p,
				    "a Bearer or Basic "
				    "challenge without "
				    "name=value parameters");
			}
		}
		r = params(&p, target, &more);
		if (r < 0)
			return r;
	}
	if (have_bearer) {
		if (bearer.realm[0] == '\0') {
			bg_err_set(err, "bad_request",
			    WHAT "'s Bearer challenge has no realm (the token "
				 "server's URL)");
			return -EINVAL;
		}
		why = realm_check(bearer.realm);
		if (why != NULL) {
			bg_err_set(err, "bad_request",
			    WHAT "'s Bearer realm (the token server's URL) %s",
			    why);
			return -EINVAL;
		}
		bearer.scheme = BG_OCI_AUTH_BEARER;
		*c = bearer;
		return 0;
	}
	if (have_basic) {
		basic.scheme = BG_OCI_AUTH_BASIC;
		*c = basic;
		return 0;
	}
	if (other != NULL) {
		bg_err_set(err, "not_implemented",
		    "the registry asks for \"%.*s\" authentication, which "
		    "banger does not support (only Bearer and Basic)",
		    (int)(other_len > 64 ? 64 : other_len), other);
		return -EINVAL;
	}
	bg_err_set(err, "bad_request", WHAT " is empty");
	return -EINVAL;
}

/* ---- the token request -------------------------------------------- */

struct out {
	char *buf;
	size_t n, len;
	bool over;
};

static void
put(struct out *o, const char *s, size_t len)
{
	if (o->over || len >= o->n - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

/* RFC 3986: unreserved bytes as they are, every other one %XX. */
static void
put_enc(struct out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~')
			put(o, s + i, 1);
		else
			put(o, e, 3);
	}
}

static bool
repo_ok(const char *repo)
{
	size_t len = strnlen(repo, 256);

	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((repo[i] >= 'a' && repo[i] <= 'z') ||
			(repo[i] >= '0' && repo[i] <= '9') ||
			strchr("._-/", repo[i]) != NULL))
			return false;
	return true;
}

int
bg_oci_token_url(const struct bg_oci_challenge *c, const char *repo, char *buf,
    size_t n, struct bg_err *err)
{
	struct out o = { .buf = buf, .n = n };
	const char *s, *sep, *why;
	size_t rlen, scopes = 0;

	if (c->scheme != BG_OCI_AUTH_BEARER || c->realm[0] == '\0') {
		bg_err_set(err, "bad_request",
		    "a token URL needs a Bearer challenge with a realm");
		return -EINVAL;
	}
	why = realm_check(c->realm);
	if (why != NULL) {
		bg_err_set(err, "bad_request",
		    "the Bearer realm (the token server's URL) %s", why);
		return -EINVAL;
	}
	if (!repo_ok(repo)) {
		bg_err_set(err, "bad_request",
		    "a token URL needs a repository (1-255 bytes of a-z, 0-9, "
		    "'.', '_', '-', '/')");
		return -EINVAL;
	}
	if (n == 0) {
		o.over = true;
		goto out;
	}
	buf[0] = '\0';
	rlen = strlen(c->realm);
	put(&o, c->realm, rlen);
	/* A realm may carry its own query: add to it. */
	sep = strchr(c->realm, '?') == NULL  ? "?" :
	    strchr("?&", c->realm[rlen - 1]) ? "" :
					       "&";
	if (c->service[0] != '\0') {
		put(&o, sep, strlen(sep));
		put(&o, "service=", 8);
		put_enc(&o, c->service, strlen(c->service));
		sep = "&";
	}
	/* One scope= per space-separated entry (distribution's token.md). */
	for (s = c->scope; *s != '\0';) {
		size_t len = strcspn(s, " ");

		if (len > 0) {
			put(&o, sep, strlen(sep));
			put(&o, "scope=", 6);
			put_enc(&o, s, len);
			sep = "&";
			scopes++;
		}
		s += len;
		s += strspn(s, " ");
	}
	if (scopes == 0) {
		put(&o, sep, strlen(sep));
		put(&o, "scope=repository", 16);
		put_enc(&o, ":", 1);
		put_enc(&o, repo, strlen(repo));
		put_enc(&o, ":pull", 5);
	}
out:
	if (o.over) {
		if (n > 0)
			buf[0] = '\0';
		bg_err_set(err, "bad_request",
		    "the token server's URL would be longer than %zu bytes",
		    n > 0 ? n - 1 : 0);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---- JSON --------------------------------------------------------- */

/* cJSON wants the NUL: a copy of at most cap bytes that has none inside. */
static cJSON *
parse_json(const char *s, size_t len, size_t cap, const char *what,
    const char *code, struct bg_err *err)
{
	char *copy;
	cJSON *j;

	if (len > cap) {
		bg_err_set(err, code, "%s is larger than %zu bytes", what, cap);
		return NULL;
	}
	if (memchr(s, '\0', len) != NULL) {
		bg_err_set(err, code, "%s has a NUL byte: it is not JSON",
		    what);
		return NULL;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		bg_err_set(err, "temporary", "out of memory reading %s", what);
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	j = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	explicit_bzero(copy, len);
	free(copy);
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		bg_err_set(err, code, "%s is not a JSON object", what);
		return NULL;
	}
	return j;
}

/* Wipe every string in j (credentials) before it is freed. */
static void
wipe(cJSON *j)
{
	for (; j != NULL; j = j->next) {
		if (cJSON_IsString(j) && j->valuestring != NULL)
			explicit_bzero(j->valuestring, strlen(j->valuestring));
		if (j->child != NULL)
			wipe(j->child);
	}
}

static void
json_free(cJSON *j)
{
	if (j == NULL)
		return;
	wipe(j->child);
	cJSON_Delete(j);
}

/* The one top-level key name; NULL when absent, j itself when twice. */
static cJSON *
key_once(cJSON *obj, const char *name)
{
	cJSON *v, *found = NULL;

	cJSON_ArrayForEach(v, obj) {
		if (v->string == NULL || strcmp(v->string, name) != 0)
			continue;
		if (found != NULL)
			return obj;
		found = v;
	}
	return found;
}

#define TOKEN_WHAT "the token server's answer"

int
bg_oci_token_parse(const char *json, size_t len, char *token, size_t n,
    struct bg_err *err)
{
	static const char *const keys[] = { "token", "access_token" };
	cJSON *j, *v = NULL;
	size_t tlen;
	int r = -EINVAL;

	if (n > 0)
		token[0] = '\0';
	j = parse_json(json, len, BG_OCI_TOKEN_JSON_MAX, TOKEN_WHAT,
	    "bad_request", err);
	if (j == NULL)
		return -EINVAL;
	for (size_t i = 0; i < 2 && v == NULL; i++) {
		v = key_once(j, keys[i]);
		if (v == j) {
			bg_err_set(err, "bad_request",
			    TOKEN_WHAT " has \"%s\" twice", keys[i]);
			goto out;
		}
		if (v != NULL && !cJSON_IsString(v) && !cJSON_IsNull(v)) {
			bg_err_set(err, "bad_request",
			    TOKEN_WHAT "'s \"%s\" is not a string", keys[i]);
			goto out;
		}
		/* An empty or null "token" leaves "access_token" to say. */
		if (v != NULL && (cJSON_IsNull(v) || v->valuestring[0] == '\0'))
			v = NULL;
	}
	if (v == NULL) {
		bg_err_set(err, "bad_request",
		    TOKEN_WHAT " has no \"token\" or \"access_token\"");
		goto out;
	}
	tlen = strlen(v->valuestring);
	if (tlen > BG_OCI_TOKEN_MAX) {
		bg_err_set(err, "bad_request",
		    TOKEN_WHAT "'s token is longer than %d bytes",
		    BG_OCI_TOKEN_MAX);
		goto out;
	}
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)v->valuestring[i] <= 0x20 ||
		    (unsigned char)v->valuestring[i] >= 0x7f) {
			bg_err_set(err, "bad_request",
			    TOKEN_WHAT "'s token has a byte that cannot go "
				       "into an HTTP header (0x%02x at %zu): "
				       "only printable ASCII without spaces",
			    (unsigned char)v->valuestring[i], i + 1);
			goto out;
		}
	if (tlen >= n) {
		bg_err_set(err, "bad_request",
		    TOKEN_WHAT "'s token does not fit in %zu bytes", n);
		r = -ENAMETOOLONG;
		goto out;
	}
	memcpy(token, v->valuestring, tlen + 1);
	r = 0;
out:
	json_free(j);
	return r;
}

/* ---- Docker's config.json ----------------------------------------- */

#define DOCKER_WHAT "docker's config.json"
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static bool
is_hub(const char *host, size_t len)
{
	return name_is(host, len, "docker.io") ||
	    name_is(host, len, "index.docker.io");
}

/*
 * Does key (an auths or credHelpers key) name registry?  Docker's
 * ConvertToHostname: the scheme and any path left out.  Host names
 * compare case-insensitively.  The rank: 3 the exact key, 2 Docker
 * Hub's own key, 1 the same host; 0 no.
 */
static int
key_rank(const char *key, const char *registry)
{
	const char *h = key;
	size_t len, rlen = strlen(registry);

	if (strcmp(key, registry) == 0)
		return 3;
	if (is_hub(registry, rlen) && strcmp(key, DOCKER_HUB_KEY) == 0)
		return 2;
	if (strncasecmp(h, "https://", 8) == 0)
		h += 8;
	else if (strncasecmp(h, "http://", 7) == 0)
		h += 7;
	len = strcspn(h, "/");
	if (is_hub(registry, rlen))
		return is_hub(h, len) ? 1 : 0;
	return name_is(h, len, registry) ? 1 : 0;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* A key of the file as it may be shown: control bytes are not. */
static const char *
shown(const char *key)
{
	return printable(key) ? key : "(a key with control characters)";
}

/*
 * An auths entry's credentials into basic: "auth" checked, or
 * "username" and "password" encoded.  1 when it has them, 0 when it
 * has none (an empty entry: a credential store's), -EINVAL.
 */
static int
entry_basic(const cJSON *e, const char *key, char *basic, size_t n,
    struct bg_err *err)
{
	unsigned char dec[BG_OCI_BASIC_MAX / 4 * 3 + 1];
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(e, "auth");
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(e, "username");
	const cJSON *pw = cJSON_GetObjectItemCaseSensitive(e, "password");
	size_t len;
	int d;

	if (a != NULL && !cJSON_IsString(a) && !cJSON_IsNull(a))
		goto bad;
	if (cJSON_IsString(a) && a->valuestring[0] != '\0') {
		len = strlen(a->valuestring);
		if (len > BG_OCI_BASIC_MAX)
			goto bad;
		d = bg_base64_decode(a->valuestring, len, dec);
		if (d < 0 || memchr(dec, ':', (size_t)d) == NULL) {
			explicit_bzero(dec, sizeof(dec));
			goto bad;
		}
		explicit_bzero(dec, sizeof(dec));
		if (len >= n)
			goto long_;
		memcpy(basic, a->valuestring, len + 1);
		return 1;
	}
	if (!cJSON_IsString(u) || u->valuestring[0] == '\0' ||
	    !cJSON_IsString(pw))
		return 0;
	{
		size_t ul = strlen(u->valuestring),
		       pl = strlen(pw->valuestring);

		if (strchr(u->valuestring, ':') != NULL ||
		    ul + 1 + pl > sizeof(dec) - 1)
			goto bad;
		memcpy(dec, u->valuestring, ul);
		dec[ul] = ':';
		memcpy(dec + ul + 1, pw->valuestring, pl);
		len = ul + 1 + pl;
		if ((len + 2) / 3 * 4 >= n) {
			explicit_bzero(dec, sizeof(dec));
			goto long_;
		}
		bg_base64_encode(dec, len, basic);
		explicit_bzero(dec, sizeof(dec));
		return 1;
	}
bad:
	bg_err_set(err, "bad_config",
	    DOCKER_WHAT "'s auths entry \"%.*s\" is not valid: it needs "
			"\"auth\", base64 (at most %d bytes) of "
			"USER:PASSWORD, or \"username\" (no ':') and "
			"\"password\"",
	    (int)strnlen(shown(key), 200), shown(key), BG_OCI_BASIC_MAX);
	return -EINVAL;
long_:
	bg_err_set(err, "bad_config",
	    DOCKER_WHAT "'s credentials for \"%.*s\" do not fit in %zu bytes",
	    (int)strnlen(shown(key), 200), shown(key), n);
	return -ENAMETOOLONG;
}

int
bg_oci_docker_auth(const char *config_json, size_t len, const char *registry,
    char *basic, size_t n, struct bg_err *err)
{
	cJSON *j, *auths, *e, *best = NULL, *helpers, *store;
	const char *helper = NULL;
	bool empty = false;
	int rank = 0, r = 0;
	size_t i;

	if (n == 0) {
		bg_err_set(err, "bad_request", "no room for credentials");
		return -EINVAL;
	}
	basic[0] = '\0';
	if (registry == NULL || registry[0] == '\0' || !printable(registry)) {
		bg_err_set(err, "bad_request", "no registry to look up");
		return -EINVAL;
	}
	/* Docker reads an empty file as no configuration. */
	for (i = 0; i < len && strchr(" \t\r\n", config_json[i]) != NULL &&
	     config_json[i] != '\0';
	     i++)
		;
	if (i == len)
		return 0;
	j = parse_json(config_json, len, BG_OCI_DOCKER_CONFIG_MAX, DOCKER_WHAT,
	    "bad_config", err);
	if (j == NULL)
		return -EINVAL;
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (auths != NULL && !cJSON_IsObject(auths)) {
		bg_err_set(err, "bad_config",
		    DOCKER_WHAT "'s \"auths\" is not an object");
		r = -EINVAL;
		goto out;
	}
	/* The best-ranked entry that has credentials; the first of a rank. */
	cJSON_ArrayForEach(e, auths) {
		int k = key_rank(e->string, registry);

		if (k == 0)
			continue;
		if (!cJSON_IsObject(e)) {
			bg_err_set(err, "bad_config",
			    DOCKER_WHAT "'s auths entry \"%.*s\" is not an "
					"object",
			    (int)strnlen(shown(e->string), 200),
			    shown(e->string));
			r = -EINVAL;
			goto out;
		}
		r = entry_basic(e, e->string, basic, n, err);
		if (r < 0)
			goto out;
		if (r == 0)
			empty = true;
		else if (k > rank) {
			best = e;
			rank = k;
		}
	}
	if (best != NULL) {
		r = entry_basic(best, best->string, basic, n, err);
		r = r < 0 ? r : 0;
		goto out;
	}
	basic[0] = '\0';
	r = 0;
	/* Credential helpers are not run: say so where one holds them. */
	helpers = cJSON_GetObjectItemCaseSensitive(j, "credHelpers");
	if (!cJSON_IsObject(helpers))
		helpers = NULL;
	cJSON_ArrayForEach(e, helpers) {
		if (key_rank(e->string, registry) > 0 && cJSON_IsString(e) &&
		    e->valuestring[0] != '\0') {
			helper = e->valuestring;
			break;
		}
	}
	store = cJSON_GetObjectItemCaseSensitive(j, "credsStore");
	if (helper == NULL && empty && cJSON_IsString(store) &&
	    store->valuestring[0] != '\0')
		helper = store->valuestring;
	if (helper != NULL) {
		bg_err_set(err, "not_implemented",
		    "credential helpers are not supported: " DOCKER_WHAT
		    " keeps the credentials for %s in the helper \"%.*s\"; "
		    "put an auths entry {\"auth\": \"BASE64 of USER:PASSWORD\"} "
		    "for %s there",
		    registry, printable(helper) ? (int)strnlen(helper, 64) : 1,
		    printable(helper) ? helper : "?", registry);
		r = -ENOTSUP;
	}
out:
	if (r < 0)
		explicit_bzero(basic, n);
	json_free(j);
	return r;
}
