/*
 * oci-auth.c — registry authentication without I/O (lib/oci-auth.c):
 * WWW-Authenticate challenges as registries send them and every
 * refusal, the token URL, the token server's answer, and Docker's
 * config.json "auths".
 */
#include <errno.h>
#include <string.h>

#include "banger.h"
#include "oci-auth.h"
#include "tap.h"

static struct bg_oci_challenge ch;

/* s for a test's name: at most 60 bytes, control bytes as \xNN. */
static const char *
show(const char *s)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	size_t o = 0;

	for (size_t i = 0; s[i] != '\0' && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(b + o, 8, "\\x%02x", c);
		else
			b[o++] = (char)c;
	}
	b[o] = '\0';
	return b;
}

static int
parse(const char *h, struct bg_err *err)
{
	memset(err, 0, sizeof(*err));
	memset(&ch, 0x55, sizeof(ch));
	return bg_oci_challenge_parse(h, &ch, err);
}

static void
bearer(const char *h, const char *realm, const char *service, const char *scope)
{
	struct bg_err err;

	if (!ok(parse(h, &err) == 0, "parse %s", show(h))) {
		printf("#   %s: %s\n", err.code, err.msg);
		return;
	}
	ok(ch.scheme == BG_OCI_AUTH_BEARER && strcmp(ch.realm, realm) == 0 &&
		strcmp(ch.service, service) == 0 &&
		strcmp(ch.scope, scope) == 0,
	    "  Bearer realm=%s service=%s scope=%s (got %d %s %s %s)", realm,
	    service, scope, ch.scheme, ch.realm, ch.service, ch.scope);
}

static void
basic(const char *h, const char *realm)
{
	struct bg_err err;

	if (!ok(parse(h, &err) == 0, "parse %s", show(h))) {
		printf("#   %s: %s\n", err.code, err.msg);
		return;
	}
	ok(ch.scheme == BG_OCI_AUTH_BASIC && strcmp(ch.realm, realm) == 0,
	    "  Basic realm=%s (got %d %s)", realm, ch.scheme, ch.realm);
}

static void
refused(const char *h, const char *code, const char *why)
{
	struct bg_err err;
	int r = parse(h, &err);

	ok(r == -EINVAL && strcmp(err.code, code) == 0 &&
		strstr(err.msg, why) != NULL,
	    "refused %s: %s (got %d %s: %s)", show(h), why, r, err.code,
	    err.msg);
}

static void
token_url(const char *h, const char *repo, const char *want)
{
	struct bg_err err;
	char url[2048];

	if (!ok(parse(h, &err) == 0, "parse %s", show(h)))
		return;
	memset(&err, 0, sizeof(err));
	if (!ok(bg_oci_token_url(&ch, repo, url, sizeof(url), &err) == 0,
		"token URL for %s", repo)) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(url, want, "  the URL");
}

static void
token(const char *json, const char *want)
{
	struct bg_err err;
	char t[BG_OCI_TOKEN_MAX + 1];

	memset(&err, 0, sizeof(err));
	if (!ok(bg_oci_token_parse(json, strlen(json), t, sizeof(t), &err) == 0,
		"token from %s", show(json))) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(t, want, "  the token");
}

static void
token_refused(const char *json, size_t len, const char *why)
{
	struct bg_err err;
	char t[BG_OCI_TOKEN_MAX + 1];
	int r;

	memset(&err, 0, sizeof(err));
	memset(t, 'x', sizeof(t));
	r = bg_oci_token_parse(json, len, t, sizeof(t), &err);
	ok(r < 0 && strcmp(err.code, "bad_request") == 0 &&
		strstr(err.msg, why) != NULL && t[0] == '\0',
	    "token refused from %s: %s (got %d %s)", show(json), why, r,
	    err.msg);
}

static void
docker(const char *cfg, const char *registry, const char *want)
{
	struct bg_err err;
	char b[BG_OCI_BASIC_MAX + 1];

	memset(&err, 0, sizeof(err));
	memset(b, 'x', sizeof(b));
	if (!ok(bg_oci_docker_auth(cfg, strlen(cfg), registry, b, sizeof(b),
		    &err) == 0,
		"docker auth for %s", registry)) {
		printf("#   %s: %s\n", err.code, err.msg);
		return;
	}
	is_str(b, want, "  in %s", show(cfg));
}

static void
docker_refused(const char *cfg, const char *registry, int want_r,
    const char *code, const char *why)
{
	struct bg_err err;
	char b[BG_OCI_BASIC_MAX + 1];
	int r;

	memset(&err, 0, sizeof(err));
	memset(b, 'x', sizeof(b));
	r = bg_oci_docker_auth(cfg, strlen(cfg), registry, b, sizeof(b), &err);
	ok(r == want_r && strcmp(err.code, code) == 0 &&
		strstr(err.msg, why) != NULL && b[0] == '\0',
	    "docker auth for %s refused: %s (got %d %s: %s)", registry, why, r,
	    err.code, err.msg);
}

#define HUB_REALM "https://auth.docker.io/token"

static void
test_challenges(void)
{
	char big[BG_OCI_CHALLENGE_MAX + 200], v[1100];
	struct bg_err err;

	/* What registries send. */
	bearer("Bearer realm=\"https://auth.docker.io/token\","
	       "service=\"registry.docker.io\","
	       "scope=\"repository:library/debian:pull\"",
	    HUB_REALM, "registry.docker.io", "repository:library/debian:pull");
	/* distribution's docs/spec/auth/token.md: a ',' inside quotes. */
	bearer("Bearer realm=\"https://auth.docker.io/token\","
	       "service=\"registry.docker.io\","
	       "scope=\"repository:samalba/my-app:pull,push\"",
	    HUB_REALM, "registry.docker.io",
	    "repository:samalba/my-app:pull,push");
	bearer("Bearer realm=\"https://auth.docker.io/token\","
	       "service=\"registry.docker.io\","
	       "scope=\"repository:samalba/my-app:pull,push\","
	       "error=\"insufficient_scope\"",
	    HUB_REALM, "registry.docker.io",
	    "repository:samalba/my-app:pull,push");
	is_str(ch.error, "insufficient_scope", "  error is kept");
	bearer("Bearer realm=\"https://ghcr.io/token\",service=\"ghcr.io\","
	       "scope=\"repository:owner/tool:pull\"",
	    "https://ghcr.io/token", "ghcr.io", "repository:owner/tool:pull");
	bearer("Bearer realm=\"https://quay.io/v2/auth\",service=\"quay.io\"",
	    "https://quay.io/v2/auth", "quay.io", "");
	bearer("Bearer realm=\"https://127.0.0.1:5001/auth\"",
	    "https://127.0.0.1:5001/auth", "", "");
	basic("Basic realm=\"Registry Realm\"", "Registry Realm");
	basic("Basic realm=\"Registry Realm\", charset=\"UTF-8\"",
	    "Registry Realm");
	basic("Basic", "");
	/* Case, spacing, tokens, escapes, empty list elements. */
	bearer("bEaReR REALM = \"https://a.example/t\" ,\tService=reg ,, "
	       "SCOPE=\"x\"  ",
	    "https://a.example/t", "reg", "x");
	bearer(" , Bearer   realm=\"https://a.example/t?x=1\",service=s",
	    "https://a.example/t?x=1", "s", "");
	bearer("Bearer realm=\"https://a.example/t\",service=\"a \\\"q\\\" "
	       "\\\\ b\"",
	    "https://a.example/t", "a \"q\" \\ b", "");
	bearer("Bearer realm=\"https://a.example/\\t\"", "https://a.example/t",
	    "", "");
	bearer("Bearer realm=\"https://a.example/t\",service=\"\"",
	    "https://a.example/t", "", "");
	/* Several challenges: Bearer wins wherever it is. */
	bearer("Basic realm=\"r\", Bearer realm=\"https://a.example/t\","
	       "service=\"s\"",
	    "https://a.example/t", "s", "");
	bearer("Bearer realm=\"https://a.example/t\",service=\"s\", Basic "
	       "realm=\"r\"",
	    "https://a.example/t", "s", "");
	bearer("Negotiate, NTLM abc+/d==, Bearer realm=\"https://a.example/t\","
	       "Basic realm=x",
	    "https://a.example/t", "", "");
	bearer("Bearer realm=\"https://a.example/1\", Bearer "
	       "realm=\"https://a.example/2\"",
	    "https://a.example/1", "", "");
	basic("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
	      "Basic realm=\"simple\"",
	    "simple");
	/* The same parameter in two challenges is no duplicate. */
	basic("Basic realm=a, Basic realm=b", "a");

	/* Refusals. */
	refused("", "bad_request", "is empty");
	refused(" , ,", "bad_request", "is empty");
	refused("Negotiate", "not_implemented", "\"Negotiate\"");
	refused("Digest realm=\"x\", nonce=\"y\", NTLM", "not_implemented",
	    "\"Digest\" authentication");
	refused("Bearer", "bad_request", "no realm");
	refused("Bearer service=\"s\"", "bad_request", "no realm");
	refused("Bearer realm=\"http://a.example/t\"", "bad_request",
	    "not an https:// URL");
	refused("Bearer realm=\"http://127.0.0.1/t\"", "bad_request",
	    "not an https:// URL");
	refused("Bearer realm=\"/token\"", "bad_request", "not an https://");
	refused("Bearer realm=\"https://\"", "bad_request", "has no host");
	refused("Bearer realm=\"https:///t\"", "bad_request", "has no host");
	refused("Bearer realm=\"https://u:p@a.example/t\"", "bad_request",
	    "credentials");
	refused("Bearer realm=\"https://a.example/t#f\"", "bad_request",
	    "fragment");
	refused("Bearer realm=\"https://a.example/a b\"", "bad_request",
	    "not allowed in a URL");
	refused("Bearer realm=\"https://a.example/\x80\"", "bad_request",
	    "not allowed in a URL");
	refused("Bearer realm=https://a.example/t", "bad_request",
	    "missing ','");
	refused("Bearer realm=\"https://a.example/t", "bad_request",
	    "unterminated");
	refused("Bearer realm=\"https://a.example/t\\", "bad_request",
	    "unterminated");
	refused("Bearer realm=\"https://a.example/t\"\"", "bad_request",
	    "missing ','");
	refused("Bearer realm=\"https://a.example/t\" service=\"s\"",
	    "bad_request", "missing ','");
	refused("Bearer realm=\"https://a.example/t\",service =", "bad_request",
	    "without a value");
	/* A bare token after a comma is a challenge of its own. */
	bearer("Bearer realm=\"https://a.example/t\",service",
	    "https://a.example/t", "", "");
	refused("Bearer realm=\"https://a.example/t\",service=", "bad_request",
	    "without a value");
	refused("Bearer realm=\"https://a.example/t\",service=,x=y",
	    "bad_request", "neither a token");
	refused("Bearer realm=\"https://a.example/t\",=x", "bad_request",
	    "without a name");
	refused("Bearer realm", "bad_request", "without name=value");
	refused("Bearer abc==", "bad_request", "without name=value");
	refused("Basic dXNlcjpwYXNz", "bad_request", "without name=value");
	refused("Bearer=x", "bad_request", "not followed by a space");
	refused("\"Bearer\" realm=x", "bad_request", "without a scheme");
	refused("Bearer realm=\"a\nb\"", "bad_request", "control character");
	refused("Bearer realm=\"a\rb\"", "bad_request", "control character");
	refused("Bearer realm=\"a\x7f\"", "bad_request", "control character");
	refused("Bearer realm=\"https://a.example/t\",\r\n service=s",
	    "bad_request", "without a name");
	refused("Bearer realm=\"https://a.example/1\",realm=\"https://b/\"",
	    "bad_request", "\"realm\" is given twice");
	refused("Bearer realm=\"https://a.example/1\",REALM=\"https://b/\"",
	    "bad_request", "\"REALM\" is given twice");
	refused("Negotiate x=1, X=2, Bearer realm=\"https://a.example/t\"",
	    "bad_request", "given twice");
	/* Bounds: the header, one value, the parameters. */
	memset(v, 'a', 1024);
	v[1024] = '\0';
	snprintf(big, sizeof(big), "Basic realm=\"%s\"", v);
	basic(big, v);
	snprintf(big, sizeof(big), "Basic realm=%s", v);
	basic(big, v);
	v[1024] = 'a';
	v[1025] = '\0';
	snprintf(big, sizeof(big), "Basic realm=\"%s\"", v);
	refused(big, "bad_request", "\"realm\" is longer than 1024 bytes");
	snprintf(big, sizeof(big), "Basic realm=%s", v);
	refused(big, "bad_request", "\"realm\" is longer than 1024 bytes");
	snprintf(big, sizeof(big), "Basic realm=\"x\", other=\"%s\"", v);
	refused(big, "bad_request", "\"other\" is longer than 1024 bytes");
	memset(big, ' ', sizeof(big));
	memcpy(big, "Basic realm=x", 13);
	big[BG_OCI_CHALLENGE_MAX] = '\0';
	basic(big, "x");
	big[BG_OCI_CHALLENGE_MAX] = ' ';
	big[BG_OCI_CHALLENGE_MAX + 1] = '\0';
	refused(big, "bad_request", "longer than 4096 bytes");
	strcpy(big, "Basic realm=x");
	for (int i = 1; i < 32; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), ",p%d=1",
		    i);
	basic(big, "x");
	strcat(big, ",p32=1");
	refused(big, "bad_request", "more than 32 parameters");
	/* A failure leaves c as it was. */
	memset(&ch, 0x55, sizeof(ch));
	bg_oci_challenge_parse("Bearer", &ch, &err);
	ok(((unsigned char *)&ch)[0] == 0x55 && ch.realm[0] == 0x55,
	    "a refused header leaves the challenge untouched");
}

static void
test_token_url(void)
{
	static const char hub[] =
	    "Bearer realm=\"https://auth.docker.io/token\","
	    "service=\"registry.docker.io\","
	    "scope=\"repository:library/debian:pull\"";
	struct bg_oci_challenge c;
	struct bg_err err;
	char url[128];

	token_url(hub, "library/debian",
	    "https://auth.docker.io/token?service=registry.docker.io&"
	    "scope=repository%3Alibrary%2Fdebian%3Apull");
	/* No scope in the challenge: pull of the repository. */
	token_url("Bearer realm=\"https://quay.io/v2/auth\",service=\"quay.io\"",
	    "org/app",
	    "https://quay.io/v2/auth?service=quay.io&"
	    "scope=repository%3Aorg%2Fapp%3Apull");
	/* No service: left out. */
	token_url("Bearer realm=\"https://127.0.0.1:5001/auth\"", "a/b.c_d-e",
	    "https://127.0.0.1:5001/auth?scope=repository%3Aa%2Fb.c_d-e%3Apull");
	/* Space-separated scopes: one scope= each; encoding of the rest. */
	token_url("Bearer realm=\"https://a.example/t\",service=\"my reg~\","
		  "scope=\" repository:a/b:pull  repository:c/d:pull,push \"",
	    "a/b",
	    "https://a.example/t?service=my%20reg~&"
	    "scope=repository%3Aa%2Fb%3Apull&"
	    "scope=repository%3Ac%2Fd%3Apull%2Cpush");
	token_url("Bearer realm=\"https://a.example/t\",scope=\"   \"", "x/y",
	    "https://a.example/t?scope=repository%3Ax%2Fy%3Apull");
	/* A realm with a query of its own. */
	token_url("Bearer realm=\"https://a.example/t?x=1\",service=s", "x/y",
	    "https://a.example/t?x=1&service=s&"
	    "scope=repository%3Ax%2Fy%3Apull");
	token_url("Bearer realm=\"https://a.example/t?\",service=s", "x/y",
	    "https://a.example/t?service=s&scope=repository%3Ax%2Fy%3Apull");
	token_url("Bearer realm=\"https://a.example/t\",service=\"\xc3\xa9&=\"",
	    "x/y",
	    "https://a.example/t?service=%C3%A9%26%3D&"
	    "scope=repository%3Ax%2Fy%3Apull");

	/* Refusals. */
	memset(&err, 0, sizeof(err));
	bg_oci_challenge_parse(hub, &c, &err);
	ok(bg_oci_token_url(&c, "library/debian", url, 60, &err) ==
		    -ENAMETOOLONG &&
		url[0] == '\0' && strstr(err.msg, "longer than 59") != NULL,
	    "a URL that does not fit is refused (%s)", err.msg);
	ok(bg_oci_token_url(&c, "library/debian", url, 0, &err) ==
		-ENAMETOOLONG,
	    "n = 0 is refused");
	ok(bg_oci_token_url(&c, "", url, sizeof(url), &err) == -EINVAL &&
		strstr(err.msg, "repository") != NULL,
	    "an empty repository is refused");
	ok(bg_oci_token_url(&c, "a/B", url, sizeof(url), &err) == -EINVAL,
	    "a repository that is not one is refused");
	ok(bg_oci_token_url(&c, "a/b&x=1", url, sizeof(url), &err) == -EINVAL,
	    "a repository with '&' is refused");
	bg_oci_challenge_parse("Basic realm=x", &c, &err);
	ok(bg_oci_token_url(&c, "a/b", url, sizeof(url), &err) == -EINVAL &&
		strstr(err.msg, "Bearer") != NULL,
	    "a Basic challenge has no token URL");
	memset(&c, 0, sizeof(c));
	c.scheme = BG_OCI_AUTH_BEARER;
	strcpy(c.realm, "http://a.example/t");
	ok(bg_oci_token_url(&c, "a/b", url, sizeof(url), &err) == -EINVAL &&
		strstr(err.msg, "https://") != NULL,
	    "a hand-made challenge's realm is checked too");
}

static void
test_token(void)
{
	static char big[BG_OCI_TOKEN_JSON_MAX + 100], t[BG_OCI_TOKEN_MAX + 2];
	struct bg_err err;
	char small[8];
	size_t n;

	/* Docker Hub's answer (abridged). */
	token("{\"token\":\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxfQ."
	      "c2ln\",\"access_token\":\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
	      ".eyJhIjoxfQ.c2ln\",\"expires_in\":300,"
	      "\"issued_at\":\"2024-05-01T10:00:00.123456789Z\"}",
	    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxfQ.c2ln");
	/* OAuth 2 style (some token servers send only access_token). */
	token("{\"access_token\":\"abc-_.~+/=\",\"token_type\":\"Bearer\","
	      "\"expires_in\":3600,\"refresh_token\":\"r\"}",
	    "abc-_.~+/=");
	token(" \n{ \"token\" : \"a\\/b\" }\n ", "a/b");
	/* Both, different: token. */
	token("{\"access_token\":\"second\",\"token\":\"first\"}", "first");
	/* An empty or null token leaves access_token to say. */
	token("{\"token\":\"\",\"access_token\":\"x\"}", "x");
	token("{\"token\":null,\"access_token\":\"x\"}", "x");
	/* Bounds: BG_OCI_TOKEN_MAX bytes is fine. */
	n = (size_t)snprintf(big, sizeof(big), "{\"token\":\"");
	memset(big + n, 'a', BG_OCI_TOKEN_MAX);
	strcpy(big + n + BG_OCI_TOKEN_MAX, "\"}");
	memset(&err, 0, sizeof(err));
	ok(bg_oci_token_parse(big, strlen(big), t, sizeof(t), &err) == 0 &&
		strlen(t) == BG_OCI_TOKEN_MAX,
	    "a token of %d bytes", BG_OCI_TOKEN_MAX);
	ok(bg_oci_token_parse(big, strlen(big), small, sizeof(small), &err) ==
		    -ENAMETOOLONG &&
		small[0] == '\0',
	    "a token larger than the buffer is refused");
	strcpy(big + n + BG_OCI_TOKEN_MAX, "a\"}");
	token_refused(big, strlen(big), "longer than 8184");
	/* The JSON's size: 64 KiB with padding is fine, more is not. */
	n = (size_t)snprintf(big, sizeof(big), "{\"token\":\"t\"}");
	memset(big + n, ' ', BG_OCI_TOKEN_JSON_MAX - n);
	big[BG_OCI_TOKEN_JSON_MAX] = '\0';
	ok(bg_oci_token_parse(big, BG_OCI_TOKEN_JSON_MAX, t, sizeof(t), &err) ==
		0,
	    "a 64 KiB answer is read");
	big[BG_OCI_TOKEN_JSON_MAX] = ' ';
	token_refused(big, BG_OCI_TOKEN_JSON_MAX + 1, "larger than 65536");
	/* Only len bytes are read: the rest may be anything. */
	strcpy(big, "{\"token\":\"t\"}garbage");
	ok(bg_oci_token_parse(big, 13, t, sizeof(t), &err) == 0 &&
		strcmp(t, "t") == 0,
	    "only len bytes are read");

	token_refused("", 0, "not a JSON object");
	token_refused("{", 1, "not a JSON object");
	token_refused("[\"token\"]", 9, "not a JSON object");
	token_refused("\"token\"", 7, "not a JSON object");
	token_refused("{\"token\":\"a\"} x", 15, "not a JSON object");
	token_refused("{\"token\":\"a\"}\0", 14, "NUL");
	token_refused("{}", 2, "no \"token\" or \"access_token\"");
	token_refused("{\"token\":\"\"}", 12, "no \"token\"");
	token_refused("{\"Token\":\"x\"}", 13, "no \"token\"");
	token_refused("{\"details\":{\"token\":\"x\"}}", 25, "no \"token\"");
	token_refused("{\"token\":1}", 11, "\"token\" is not a string");
	token_refused("{\"token\":[\"x\"]}", 15, "\"token\" is not a string");
	token_refused("{\"access_token\":true}", 21,
	    "\"access_token\" is not a string");
	token_refused("{\"token\":\"a\",\"token\":\"b\"}", 25,
	    "\"token\" twice");
	token_refused("{\"token\":\"a b\"}", 15, "0x20 at 2");
	token_refused("{\"token\":\"a\\r\\nX-Evil: 1\"}", 26, "0x0d at 2");
	token_refused("{\"token\":\"a\\n\"}", 15, "0x0a at 2");
	token_refused("{\"token\":\"a\\t\"}", 15, "0x09");
	token_refused("{\"token\":\"\\u00e9\"}", 18, "0xc3 at 1");
	token_refused("{\"token\":\"a\x7f\"}", 14, "0x7f");
	/* A bad token is not passed over for a good access_token. */
	token_refused("{\"token\":\"a b\",\"access_token\":\"ok\"}", 35,
	    "0x20");
}

/* base64("user:pass") and friends. */
#define UP "dXNlcjpwYXNz"
#define UP2 "Ym9iOnNlY3JldA==" /* bob:secret */
#define UP3 "YTpi" /* a:b */

static void
test_docker(void)
{
	char b[8], cfg[512];
	struct bg_err err;

	/* docker login to Docker Hub writes Docker's own key. */
	docker("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" UP
	       "\"}}}",
	    "docker.io", UP);
	docker("{\"auths\":{\"docker.io\":{\"auth\":\"" UP "\"}}}", "docker.io",
	    UP);
	docker("{\"auths\":{\"index.docker.io\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", UP);
	docker("{\"auths\":{\"https://docker.io\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", UP);
	docker("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" UP
	       "\"}}}",
	    "index.docker.io", UP);
	/* Other registries: with or without a scheme and a path. */
	docker("{\"auths\":{\"registry.example:5000\":{\"auth\":\"" UP "\"}}}",
	    "registry.example:5000", UP);
	docker("{\"auths\":{\"https://registry.example:5000\":{\"auth\":\"" UP
	       "\"}}}",
	    "registry.example:5000", UP);
	docker("{\"auths\":{\"http://Registry.Example:5000/v2/\":{\"auth\":"
	       "\"" UP "\"}}}",
	    "registry.example:5000", UP);
	docker("{\"auths\":{\"localhost:5000\":{\"auth\":\"" UP "\"}}}",
	    "localhost:5000", UP);
	docker("{\"auths\":{\"[::1]:5000\":{\"auth\":\"" UP "\"}}}",
	    "[::1]:5000", UP);
	/* The exact key wins, then Docker Hub's own, then the first. */
	docker("{\"auths\":{\"https://r.example\":{\"auth\":\"" UP2 "\"},"
	       "\"r.example\":{\"auth\":\"" UP "\"},"
	       "\"http://r.example\":{\"auth\":\"" UP3 "\"}}}",
	    "r.example", UP);
	docker("{\"auths\":{\"https://r.example\":{\"auth\":\"" UP2 "\"},"
	       "\"http://r.example\":{\"auth\":\"" UP3 "\"}}}",
	    "r.example", UP2);
	docker("{\"auths\":{\"index.docker.io\":{\"auth\":\"" UP2 "\"},"
	       "\"https://index.docker.io/v1/\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", UP);
	/* No match is no credentials, not an error. */
	docker("{\"auths\":{\"registry.example\":{\"auth\":\"" UP "\"},"
	       "\"https://index.docker.io/v1/\":{\"auth\":\"" UP2 "\"}}}",
	    "registry.example:5000", "");
	docker("{\"auths\":{\"registry.example:5000\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", "");
	docker("{\"auths\":{\"registry-1.docker.io\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", "");
	docker("{\"auths\":{\"docker.io.evil.example\":{\"auth\":\"" UP "\"}}}",
	    "docker.io", "");
	docker("{\"auths\":{}}", "docker.io", "");
	docker("{}", "docker.io", "");
	docker("", "docker.io", "");
	docker(" \n", "docker.io", "");
	docker("{\"psFormat\":\"table\",\"auths\":{\"r.example\":{}}}",
	    "r.example", "");
	/* username and password instead of auth. */
	docker("{\"auths\":{\"r.example\":{\"username\":\"bob\","
	       "\"password\":\"secret\"}}}",
	    "r.example", UP2);
	docker("{\"auths\":{\"r.example\":{\"auth\":\"" UP "\",\"username\":"
	       "\"bob\",\"password\":\"secret\"}}}",
	    "r.example", UP);
	/* An entry without credentials gives way to one that has them. */
	docker("{\"auths\":{\"r.example\":{},\"https://r.example\":{\"auth\":"
	       "\"" UP "\"}}}",
	    "r.example", UP);
	/* Helpers for other registries are no concern. */
	docker("{\"auths\":{},\"credHelpers\":{\"gcr.io\":\"gcloud\"}}",
	    "docker.io", "");
	/* Docker Desktop: a store for all, and no entry for this one. */
	docker("{\"auths\":{},\"credsStore\":\"desktop\"}", "docker.io", "");
	/* An auths entry is used even when a helper is named. */
	docker("{\"auths\":{\"gcr.io\":{\"auth\":\"" UP "\"}},"
	       "\"credHelpers\":{\"gcr.io\":\"gcloud\"},"
	       "\"credsStore\":\"desktop\"}",
	    "gcr.io", UP);

	/* Credentials only in a helper. */
	docker_refused("{\"auths\":{\"https://index.docker.io/v1/\":{}},"
		       "\"credsStore\":\"desktop\"}",
	    "docker.io", -ENOTSUP, "not_implemented",
	    "credential helpers are not supported: docker's config.json keeps "
	    "the credentials for docker.io in the helper \"desktop\"; put an "
	    "auths entry");
	docker_refused("{\"credHelpers\":{\"gcr.io\":\"gcloud\"}}", "gcr.io",
	    -ENOTSUP, "not_implemented", "in the helper \"gcloud\"");
	docker_refused("{\"credHelpers\":{\"https://index.docker.io/v1/\":"
		       "\"pass\"}}",
	    "docker.io", -ENOTSUP, "not_implemented", "\"pass\"");
	/* Malformed. */
	docker_refused("{", "docker.io", -EINVAL, "bad_config",
	    "not a JSON object");
	docker_refused("[]", "docker.io", -EINVAL, "bad_config",
	    "not a JSON object");
	docker_refused("{\"auths\":[]}", "docker.io", -EINVAL, "bad_config",
	    "\"auths\" is not an object");
	docker_refused("{\"auths\":{\"docker.io\":\"" UP "\"}}", "docker.io",
	    -EINVAL, "bad_config", "\"docker.io\" is not an object");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":\"not base64\"}}}",
	    "docker.io", -EINVAL, "bad_config",
	    "\"docker.io\" is not valid: it needs \"auth\", base64");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":\"dXNlcg==\"}}}",
	    "docker.io", -EINVAL, "bad_config", "USER:PASSWORD");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":\"dXNlcjpwYXN\"}}}",
	    "docker.io", -EINVAL, "bad_config", "base64");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":\"dXNl=jpw\"}}}",
	    "docker.io", -EINVAL, "bad_config", "base64");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":\"dXNlcjpw\\n"
		       "YXNz\"}}}",
	    "docker.io", -EINVAL, "bad_config", "base64");
	docker_refused("{\"auths\":{\"docker.io\":{\"auth\":7}}}", "docker.io",
	    -EINVAL, "bad_config", "base64");
	docker_refused("{\"auths\":{\"r.example\":{\"username\":\"a:b\","
		       "\"password\":\"c\"}}}",
	    "r.example", -EINVAL, "bad_config", "not valid");
	docker_refused("{\"auths\":{\"http://r.example/\\n\":{\"auth\":1}}}",
	    "r.example", -EINVAL, "bad_config",
	    "entry \"(a key with control characters)\" is not valid");
	/* A bad entry of another registry is not this pull's business. */
	docker("{\"auths\":{\"other.example\":{\"auth\":\"!!\"},"
	       "\"r.example\":{\"auth\":\"" UP "\"}}}",
	    "r.example", UP);
	/* Bounds. */
	memset(&err, 0, sizeof(err));
	snprintf(cfg, sizeof(cfg), "{\"auths\":{\"r\":{\"auth\":\"%s\"}}}", UP);
	ok(bg_oci_docker_auth(cfg, strlen(cfg), "r", b, sizeof(b), &err) ==
		    -ENAMETOOLONG &&
		b[0] == '\0' && strcmp(err.code, "bad_config") == 0,
	    "credentials larger than the buffer are refused");
	ok(bg_oci_docker_auth(cfg, strlen(cfg), "", b, sizeof(b), &err) ==
		-EINVAL,
	    "an empty registry is refused");
	ok(bg_oci_docker_auth(cfg, 1u << 21, "r", b, sizeof(b), &err) ==
		    -EINVAL &&
		strstr(err.msg, "larger than") != NULL,
	    "a config larger than 1 MiB is refused (len checked first)");
}

int
main(void)
{
	test_challenges();
	test_token_url();
	test_token();
	test_docker();
	return done_testing();
}
