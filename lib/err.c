/*
 * err.c — struct bg_err and the one table that maps protocol error
 * codes to exit codes, shared by helpers (which exit with it) and the
 * CLI (which exits with it after reading the final line).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banger.h"

void
bg_err_set(struct bg_err *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	/* code may be err's own (a message reworded, the code kept). */
	if (code != err->code)
		snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static const struct {
	const char *code;
	int exit;
} codes[] = {
	{ "not_found", BG_EXIT_NO },
	{ "exists", BG_EXIT_NO },
	{ "busy", BG_EXIT_NO },
	{ "permission_denied", BG_EXIT_NO },
	{ "bad_request", BG_EXIT_USAGE },
	{ "bad_config", BG_EXIT_USAGE },
	{ "unknown_verb", BG_EXIT_USAGE },
	{ "not_implemented", BG_EXIT_USAGE },
	{ "internal", BG_EXIT_BUG },
	{ "temporary", BG_EXIT_TEMP },
	{ "io", BG_EXIT_TEMP },
};

int
bg_exit_for_code(const char *code)
{
	size_t i;

	for (i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i].code) == 0)
			return codes[i].exit;
	return BG_EXIT_TEMP;
}
