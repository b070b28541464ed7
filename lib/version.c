/*
 * version.c — banger's version: the commit it was built from (git
 * describe; the Makefile writes build/gen/version.h, rewritten only
 * when the commit changes).  Builds without it (test programs that
 * compile the library's sources themselves) say "unknown".
 */
#include "banger.h"
#if defined(__has_include)
#if __has_include("version.h")
#include "version.h"
#endif
#endif
#ifndef BG_VERSION
#define BG_VERSION "unknown"
#endif

const char *
bg_version(void)
{
	return BG_VERSION;
}
