/*
 * oci-auth.h — registry authentication, the pure part (lib/oci-auth.c,
 * docs/oci-import.md): reading a WWW-Authenticate challenge, the token
 * server's URL and answer, and Basic credentials from Docker's
 * config.json.  No I/O: the caller fetches and reads, these check.
 */
#ifndef BANGER_OCI_AUTH_H
#define BANGER_OCI_AUTH_H

#include <stddef.h>

struct bg_err;

#define BG_OCI_CHALLENGE_MAX 4096 /* a WWW-Authenticate value */
#define BG_OCI_CHALLENGE_VALUE_MAX 1024 /* one auth-param's value */
#define BG_OCI_CHALLENGE_PARAMS_MAX 32 /* auth-params in one challenge */
/* A bearer token: "Bearer " and it fit one header line (BG_HTTPS_LINE_MAX). */
#define BG_OCI_TOKEN_MAX 8184
#define BG_OCI_TOKEN_JSON_MAX 65536 /* the token server's answer */
#define BG_OCI_DOCKER_CONFIG_MAX (1 << 20) /* ~/.docker/config.json */
#define BG_OCI_BASIC_MAX 4096 /* base64 of USER:PASSWORD */

enum bg_oci_scheme {
	BG_OCI_AUTH_BASIC = 1,
	BG_OCI_AUTH_BEARER = 2,
};

/* The challenge banger answers; values unescaped, "" when absent. */
struct bg_oci_challenge {
	enum bg_oci_scheme scheme;
	char realm[BG_OCI_CHALLENGE_VALUE_MAX + 1]; /* Bearer: an https URL */
	char service[BG_OCI_CHALLENGE_VALUE_MAX + 1];
	char scope[BG_OCI_CHALLENGE_VALUE_MAX + 1]; /* space-separated */
	char error[BG_OCI_CHALLENGE_VALUE_MAX + 1]; /* "insufficient_scope" */
};

/*
 * Parse a WWW-Authenticate value (RFC 7235): one or more challenges,
 * each a scheme and auth-params (name=token or name="quoted string").
 * Bearer is chosen when offered, else Basic; a Bearer realm must be an
 * https:// URL.  bad_request for a malformed header, not_implemented
 * (naming it) when only other schemes are offered; -EINVAL either way.
 */
int bg_oci_challenge_parse(const char *header, struct bg_oci_challenge *c,
    struct bg_err *err);
/*
 * The token request's URL for a Bearer challenge: realm, then
 * service=SERVICE and one scope=SCOPE per space-separated entry of the
 * challenge's scope, or scope=repository:REPO:pull when it has none;
 * values percent-encoded.  -ENAMETOOLONG (bad_request) when it does not
 * fit in n.
 */
int bg_oci_token_url(const struct bg_oci_challenge *c, const char *repo,
    char *buf, size_t n, struct bg_err *err);
/*
 * The token in the token server's JSON answer: "token", else
 * "access_token"; 1 to BG_OCI_TOKEN_MAX printable ASCII bytes without
 * spaces (it goes into an Authorization header).  bad_request, -EINVAL.
 */
int bg_oci_token_parse(const char *json, size_t len, char *token, size_t n,
    struct bg_err *err);
/*
 * The "auth" (base64 of USER:PASSWORD, checked) of registry's entry in
 * the "auths" of Docker's config.json, matched as Docker does (a key's
 * scheme and path are ignored; docker.io is also index.docker.io and
 * https://index.docker.io/v1/); an entry with "username" and
 * "password" instead is encoded.  0 with basic[0] == '\0' when there
 * is none: pull anonymously.  bad_config (-EINVAL) for a malformed
 * file; -ENOTSUP (not_implemented) when the registry's credentials are
 * only in a credential helper (credHelpers, or credsStore with an
 * empty auths entry): the caller may still try anonymously and show
 * err if the registry then says 401.
 */
int bg_oci_docker_auth(const char *config_json, size_t len,
    const char *registry, char *basic, size_t n, struct bg_err *err);

#endif
