/*
 * sha256.c — SHA-256 (FIPS 180-4), with the x86 SHA extensions when the
 * CPU has them.
 *
 * A pull hashes every byte twice: the compressed bundle as it arrives
 * and each member as it is written, holes included.  BearSSL's portable
 * SHA-256 runs at ~280 MB/s on the build machines; the SHA-NI rounds
 * run at ~1.5 GB/s, which is what keeps `image pull` as fast as
 * `curl | zstd -d | tar -x` (docs/bundles.md, bench/pull).  The
 * portable code below is the same algorithm for CPUs without them;
 * t/unit/sha256.c holds both to BearSSL's answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

static const uint32_t K[64] = { 0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
	0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138,
	0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624,
	0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f,
	0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2 };

static inline uint32_t
ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void
blocks_c(uint32_t st[8], const unsigned char *p, size_t n)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (; n > 0; n--, p += 64) {
		for (i = 0; i < 16; i++)
			w[i] = (uint32_t)p[4 * i] << 24 |
			    (uint32_t)p[4 * i + 1] << 16 |
			    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
		for (i = 16; i < 64; i++)
			w[i] = (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
				   (w[i - 2] >> 10)) +
			    w[i - 7] +
			    (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
				(w[i - 15] >> 3)) +
			    w[i - 16];
		a = st[0], b = st[1], c = st[2], d = st[3];
		e = st[4], f = st[5], g = st[6], h = st[7];
		for (i = 0; i < 64; i++) {
			t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			    ((e & f) ^ (~e & g)) + K[i] + w[i];
			t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			    ((a & b) ^ (a & c) ^ (b & c));
			h = g, g = f, f = e, e = d + t1;
			d = c, c = b, b = a, a = t1 + t2;
		}
		st[0] += a, st[1] += b, st[2] += c, st[3] += d;
		st[4] += e, st[5] += f, st[6] += g, st[7] += h;
	}
}

#if defined(__x86_64__)
/*
 * The SHA-NI rounds: the state as two vectors ABEF and CDGH, four
 * message words at a time, sha256msg1/msg2 for the schedule
 * (Intel's SHA extensions reference, 2013).
 */
__attribute__((target("sha,sse4.1"))) static void
blocks_ni(uint32_t st[8], const unsigned char *p, size_t n)
{
	const __m128i mask =
	    _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, msg, w[16], abef, cdgh;
	int k;

	t = _mm_loadu_si128((const __m128i *)&st[0]);
	s1 = _mm_loadu_si128((const __m128i *)&st[4]);
	t = _mm_shuffle_epi32(t, 0xb1); /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b); /* EFGH */
	s0 = _mm_alignr_epi8(t, s1, 8); /* ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0); /* CDGH */
	for (; n > 0; n--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (k = 0; k < 16; k++) {
			if (k < 4)
				w[k] = _mm_shuffle_epi8(_mm_loadu_si128((
							    const __m128i *)(p +
							    16 * k)),
				    mask);
			else
				w[k] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(_mm_sha256msg1_epu32(w[k - 4],
						      w[k - 3]),
					_mm_alignr_epi8(w[k - 1], w[k - 2], 4)),
				    w[k - 1]);
			msg = _mm_add_epi32(w[k],
			    _mm_loadu_si128((const __m128i *)&K[4 * k]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	t = _mm_shuffle_epi32(s0, 0x1b); /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1); /* DCHG */
	s0 = _mm_blend_epi16(t, s1, 0xf0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, t, 8); /* HGFE */
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

static bool
have_ni(void)
{
	unsigned a, b, c, d;

	if (getenv("BANGER_SHA256_PORTABLE") != NULL) /* tests, bench */
		return false;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) ||
	    !(c & bit_SSSE3))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

static void (*blocks)(uint32_t st[8], const unsigned char *p, size_t n);

static void
pick(void)
{
	blocks = blocks_c;
#if defined(__x86_64__)
	if (have_ni())
		blocks = blocks_ni;
#endif
}

bool
bg_sha256_accelerated(void)
{
	if (blocks == NULL)
		pick();
	return blocks != blocks_c;
}

void
bg_sha256_init(struct bg_sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
		0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	if (blocks == NULL)
		pick();
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

void
bg_sha256_update(struct bg_sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t k;

	s->len += n;
	if (s->n > 0) {
		k = 64 - s->n < n ? 64 - s->n : n;
		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n < 64)
			return;
		blocks(s->h, s->buf, 1);
		s->n = 0;
	}
	if (n >= 64) {
		blocks(s->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	memcpy(s->buf, p, n);
	s->n = n;
}

void
bg_sha256_zeros(struct bg_sha256 *s, uint64_t n)
{
	static const unsigned char zero[65536];

	while (n > 0) {
		size_t k = n < sizeof(zero) ? (size_t)n : sizeof(zero);

		bg_sha256_update(s, zero, k);
		n -= k;
	}
}

void
bg_sha256_final(struct bg_sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t padn = (s->n < 56 ? 56 : 120) - s->n;
	int i;

	for (i = 0; i < 8; i++)
		pad[padn + i] = (unsigned char)(bits >> (56 - 8 * i));
	bg_sha256_update(s, pad, padn + 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

void
bg_sha256_hex(struct bg_sha256 *s, char hex[65])
{
	static const char x[] = "0123456789abcdef";
	unsigned char d[32];
	int i;

	bg_sha256_final(s, d);
	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[d[i] >> 4];
		hex[2 * i + 1] = x[d[i] & 15];
	}
	hex[64] = '\0';
}

bool
bg_sha256_hex_valid(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

/* sha256 of the file at fd, reading only its data: holes hash as zeros. */
int
bg_sha256_fd(int fd, off_t size, char hex[65])
{
	_cleanup_free_ unsigned char *buf = malloc(1 << 20);
	struct bg_sha256 c;
	off_t at = 0, data, hole, n;
	ssize_t k;

	if (buf == NULL)
		return -ENOMEM;
	bg_sha256_init(&c);
	while (at < size) {
		data = lseek(fd, at, SEEK_DATA);
		if (data < 0)
			data = errno == ENXIO ? size : at;
		bg_sha256_zeros(&c, (uint64_t)(data - at)); /* a hole */
		at = data;
		if (at >= size)
			break;
		hole = lseek(fd, at, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		for (; at < hole; at += k) {
			n = hole - at < (1 << 20) ? hole - at : (1 << 20);
			k = pread(fd, buf, (size_t)n, at);
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			bg_sha256_update(&c, buf, (size_t)k);
		}
	}
	bg_sha256_hex(&c, hex);
	return 0;
}
