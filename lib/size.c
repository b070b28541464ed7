/*
 * size.c — sizes as people write them in config: "16G", "512M", "1T",
 * or plain bytes.  Units are binary (1024-based): K, M, G, T, their
 * lower-case forms, or KiB, MiB, GiB, TiB.  No sign, no fraction, no
 * space, no "GB" (ambiguous between 10^9 and 2^30).
 */
#include <errno.h>
#include <string.h>

#include "banger.h"

int
bg_size_parse(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {
		{ "", 0 },
		{ "K", 10 },
		{ "k", 10 },
		{ "KiB", 10 },
		{ "M", 20 },
		{ "m", 20 },
		{ "MiB", 20 },
		{ "G", 30 },
		{ "g", 30 },
		{ "GiB", 30 },
		{ "T", 40 },
		{ "t", 40 },
		{ "TiB", 40 },
	};
	uint64_t v = 0;
	bool overflow = false;
	size_t i;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			overflow = true;
		else
			v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -EINVAL;
	if (overflow || v > UINT64_MAX >> units[i].shift)
		return -ERANGE;
	*out = v << units[i].shift;
	return 0;
}
