/*
 * utf8.c — one UTF-8 decoder for the TOML parser, the CLI's output
 * cleaner and the protocol (a request must be UTF-8, an answer always
 * is), and what counts as a control character for a terminal.
 */
#include "banger.h"

int
bg_utf8_decode(const char *s, const char *end, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	int n, i;

	if (end - s < 1)
		return 0;
	c = u[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (end - s < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
bg_is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
}

bool
bg_utf8_valid(const char *s, size_t len)
{
	const char *end = s + len;
	uint32_t cp;
	int l;

	for (; s < end; s += l)
		if ((l = bg_utf8_decode(s, end, &cp)) == 0)
			return false;
	return true;
}

size_t
bg_utf8_scrub(char *s, size_t len)
{
	const char *end = s + len;
	size_t n = 0;
	uint32_t cp;
	int l;

	while (s < end) {
		l = bg_utf8_decode(s, end, &cp);
		if (l == 0) {
			*s = '?';
			n++;
			l = 1;
		}
		s += l;
	}
	return n;
}
