/*
 * sshkey.c — a VM's ssh host key, made in-process: an Ed25519 key pair
 * from libsodium, written in OpenSSH's own private key format
 * ("openssh-key-v1", PROTOCOL.key in OpenSSH's sources), unencrypted,
 * which sshd reads as it is and dropbearconvert converts.  One process
 * fewer per `vm create` than running ssh-keygen, and the key goes
 * straight onto the work disk without a temporary file
 * (docs/architecture.md says why libsodium: BearSSL has no Ed25519).
 *
 * The format, all lengths big-endian uint32:
 *   "openssh-key-v1\0"  string "none" (cipher)  string "none" (kdf)
 *   string "" (kdf options)  uint32 1 (keys)  string PUBLIC
 *   string PRIVATE, where PUBLIC = string "ssh-ed25519" string pk[32]
 *   and PRIVATE = uint32 check, uint32 check (the same random number),
 *   string "ssh-ed25519", string pk[32], string sk[64] (seed || pk),
 *   string comment, then padding 1, 2, 3... to a multiple of 8;
 * base64, 70 columns, between the BEGIN and END lines.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "banger.h"

#define KEY_TYPE "ssh-ed25519"
#define COMMENT_MAX 256
#define BLOB_MAX 512

struct buf {
	unsigned char b[BLOB_MAX];
	size_t n;
	bool over;
};

static void
put_u32(struct buf *w, uint32_t v)
{
	if (w->n + 4 > sizeof(w->b)) {
		w->over = true;
		return;
	}
	w->b[w->n++] = (unsigned char)(v >> 24);
	w->b[w->n++] = (unsigned char)(v >> 16);
	w->b[w->n++] = (unsigned char)(v >> 8);
	w->b[w->n++] = (unsigned char)v;
}

static void
put_raw(struct buf *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b)) {
		w->over = true;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
put_str(struct buf *w, const void *p, size_t n)
{
	put_u32(w, (uint32_t)n);
	put_raw(w, p, n);
}

/* base64 of in, NUL-terminated, every `wrap` characters a newline (0: none). */
static char *
b64(const unsigned char *in, size_t n, size_t wrap)
{
	size_t len =
	    sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *flat = malloc(len), *out;
	size_t i, o = 0;

	if (flat == NULL)
		return NULL;
	sodium_bin2base64(flat, len, in, n, sodium_base64_VARIANT_ORIGINAL);
	if (wrap == 0)
		return flat;
	out = malloc(len + len / wrap + 2);
	if (out != NULL) {
		for (i = 0; flat[i] != '\0'; i++) {
			out[o++] = flat[i];
			if ((i + 1) % wrap == 0)
				out[o++] = '\n';
		}
		if (o > 0 && out[o - 1] != '\n')
			out[o++] = '\n';
		out[o] = '\0';
	}
	free(flat);
	return out;
}

int
bg_sshkey_ed25519(const char *comment, char **priv, char **pub)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----\n";
	unsigned char pk[crypto_sign_PUBLICKEYBYTES],
	    sk[crypto_sign_SECRETKEYBYTES];
	struct buf pubblob = { .n = 0 }, privblob = { .n = 0 },
		   file = { .n = 0 };
	uint32_t check;
	size_t clen = comment != NULL ? strlen(comment) : 0, i, len;
	char *body = NULL, *p64 = NULL;
	int r = -ENOMEM;

	*priv = *pub = NULL;
	if (clen > COMMENT_MAX)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	/* sk is seed || pk, as OpenSSH stores it. */
	crypto_sign_keypair(pk, sk);
	randombytes_buf(&check, sizeof(check));

	put_str(&pubblob, KEY_TYPE, strlen(KEY_TYPE));
	put_str(&pubblob, pk, sizeof(pk));

	put_u32(&privblob, check);
	put_u32(&privblob, check);
	put_str(&privblob, KEY_TYPE, strlen(KEY_TYPE));
	put_str(&privblob, pk, sizeof(pk));
	put_str(&privblob, sk, sizeof(sk));
	put_str(&privblob, comment != NULL ? comment : "", clen);
	for (i = 1; privblob.n % 8 != 0; i++) {
		unsigned char pad = (unsigned char)i;

		put_raw(&privblob, &pad, 1);
	}

	put_raw(&file, "openssh-key-v1", sizeof("openssh-key-v1"));
	put_str(&file, "none", 4);
	put_str(&file, "none", 4);
	put_str(&file, "", 0);
	put_u32(&file, 1);
	put_str(&file, pubblob.b, pubblob.n);
	put_str(&file, privblob.b, privblob.n);
	if (pubblob.over || privblob.over || file.over) {
		r = -EOVERFLOW;
		goto out;
	}
	body = b64(file.b, file.n, 70);
	p64 = b64(pubblob.b, pubblob.n, 0);
	if (body == NULL || p64 == NULL)
		goto out;
	len = strlen(begin) + strlen(body) + strlen(end) + 1;
	*priv = malloc(len);
	*pub = malloc(strlen(KEY_TYPE) + 1 + strlen(p64) + 1);
	if (*priv == NULL || *pub == NULL) {
		free(*priv);
		free(*pub);
		*priv = *pub = NULL;
		goto out;
	}
	strcpy(*priv, begin);
	strcat(*priv, body);
	strcat(*priv, end);
	strcpy(*pub, KEY_TYPE " ");
	strcat(*pub, p64);
	r = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(privblob.b, sizeof(privblob.b));
	sodium_memzero(file.b, sizeof(file.b));
	if (body != NULL)
		sodium_memzero(body, strlen(body));
	free(body);
	free(p64);
	return r;
}

void
bg_sshkey_free(char *priv)
{
	if (priv != NULL)
		sodium_memzero(priv, strlen(priv));
	free(priv);
}
