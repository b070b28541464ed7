/*
 * name.c — the only names that may become path components.  Like
 * crun's validate_id() and systemd's filename_is_valid(), but stricter:
 * [a-z0-9][a-z0-9-]{0,62}.  No dots (so no "." or ".."), no slash, no
 * NUL inside (the string ends there), no leading '-' (never an option),
 * ASCII only, at most 63 bytes (fits a DNS label and a systemd unit).
 */
#include <string.h>

#include "banger.h"

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* s is 1..max bytes of [a-z0-9-], its first byte a letter or digit when alnum_first. */
static bool
dashed(const char *s, size_t max, bool alnum_first)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || (alnum_first && !is_lower_alnum(s[0])))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (!is_lower_alnum(s[i]) && s[i] != '-'))
			return false;
	return true;
}

bool
bg_name_valid(const char *s)
{
	return dashed(s, BG_NAME_MAX, true);
}

bool
bg_verb_valid(const char *s)
{
	return dashed(s, BG_VERB_MAX, false);
}

/*
 * Image and kernel names may carry a version: [a-z0-9][a-z0-9.-]{0,62}
 * with no ".." and no trailing '.' ("debian-6.1.0-56-amd64").  Still a
 * single safe path component: it cannot be "." or "..", has no '/'.
 * VM names stay dot-free: they become DNS labels (<name>.vm).
 */
bool
bg_artifact_name_valid(const char *s)
{
	size_t i;

	if (s == NULL || !is_lower_alnum(s[0]))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= BG_NAME_MAX)
			return false;
		if (s[i] == '.' && (s[i - 1] == '.' || s[i + 1] == '\0'))
			return false;
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	}
	return true;
}
