/*
 * Copyright (c) 2026 The netbirdd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/* Formatting helpers shared by the text and the JSON output. */

#include <sys/utsname.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "netbirdd.h"
#include "netbirdctl.h"

#define ZERO_TIME	"0001-01-01T00:00:00Z"	/* Go's zero time.Time */
#define MICRO_SIGN	"\xc2\xb5"		/* U+00B5, as Go writes "µs" */
#define NS_PER_SEC	1000000000ULL

static const char	*plural(int64_t);
static const char	*fmt_ago2(char *, size_t, int64_t, const char *,
			    int64_t, const char *);
static const char	*fmt_frac(char *, size_t, uint64_t, int);
static const char	*name_of(const char *const *, size_t, int32_t);

static const char *const mgmt_states[] = {
	[CTL_MGMT_IDLE] =		"Idle",
	[CTL_MGMT_CONNECTING] =		"Connecting",
	[CTL_MGMT_CONNECTED] =		"Connected",
	[CTL_MGMT_NEEDS_LOGIN] =	"NeedsLogin",
	[CTL_MGMT_LOGIN_FAILED] =	"LoginFailed",
	[CTL_MGMT_DISCONNECTED] =	"Disconnected",
};

/* NetBird's daemon status: a lost management connection is retried. */
static const char *const daemon_states[] = {
	[CTL_MGMT_IDLE] =		"Idle",
	[CTL_MGMT_CONNECTING] =		"Connecting",
	[CTL_MGMT_CONNECTED] =		"Connected",
	[CTL_MGMT_NEEDS_LOGIN] =	"NeedsLogin",
	[CTL_MGMT_LOGIN_FAILED] =	"LoginFailed",
	[CTL_MGMT_DISCONNECTED] =	"Connecting",
};

static const char *const peer_states[] = {
	[CTL_PEER_IDLE] =		"Idle",
	[CTL_PEER_CONNECTING] =		"Connecting",
	[CTL_PEER_CONNECTED] =		"Connected",
};

static const char *const conn_types[] = {
	[CTL_CONN_NONE] =		"-",
	[CTL_CONN_P2P] =		"P2P",
	[CTL_CONN_RELAYED] =		"Relayed",
};

static const char *const backends[] = {
	[WG_BACKEND_AUTO] =		"N/A",
	[WG_BACKEND_KERNEL] =		"Kernel",
	[WG_BACKEND_USERSPACE] =	"Userspace",
};

/* uname(2)'s machine names and Go's GOARCH for them. */
static const struct {
	const char	*machine;
	const char	*goarch;
} goarchs[] = {
	{ "x86_64",	"amd64" },
	{ "aarch64",	"arm64" },
	{ "arm64",	"arm64" },
	{ "i386",	"386" },
	{ "i486",	"386" },
	{ "i586",	"386" },
	{ "i686",	"386" },
	{ "ppc64le",	"ppc64le" },
	{ "ppc64",	"ppc64" },
	{ "s390x",	"s390x" },
	{ "riscv64",	"riscv64" },
	{ "mips64",	"mips64" },
	{ "loongarch64", "loong64" },
};

static const char *const results[] = {
	[CTL_RES_OK] =			"ok",
	[CTL_RES_FAILED] =		"failed",
	[CTL_RES_DENIED] =		"denied",
	[CTL_RES_BADREQ] =		"bad request",
};

static const char *
plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *
fmt_ago2(char *buf, size_t len, int64_t big, const char *bigname,
    int64_t small, const char *smallname)
{
	if (small == 0)
		snprintf(buf, len, "%" PRId64 " %s%s ago", big, bigname,
		    plural(big));
	else
		snprintf(buf, len, "%" PRId64 " %s%s, %" PRId64 " %s%s ago",
		    big, bigname, plural(big), small, smallname,
		    plural(small));
	return buf;
}

/*
 * "How long ago", worded as netbird status does: the two largest units,
 * the smaller one left out when it is zero.  0 (or less) means never.
 */
const char *
fmt_timeago(char *buf, size_t len, int64_t when, time_t now)
{
	int64_t	d;

	if (when <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (when >= (int64_t)now) {
		snprintf(buf, len, "Now");
		return buf;
	}
	d = (int64_t)now - when;
	if (d < 60) {
		snprintf(buf, len, "%" PRId64 " second%s ago", d, plural(d));
		return buf;
	}
	if (d < 3600)
		return fmt_ago2(buf, len, d / 60, "minute", d % 60, "second");
	if (d < 86400)
		return fmt_ago2(buf, len, d / 3600, "hour", d / 60 % 60,
		    "minute");
	return fmt_ago2(buf, len, d / 86400, "day", d / 3600 % 24, "hour");
}

/* RFC 3339 in UTC; never, or a time that cannot be one, is Go's zero. */
const char *
fmt_rfc3339(char *buf, size_t len, int64_t when)
{
	struct tm	tm;
	time_t		t = (time_t)when;

	if (when <= 0 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year > 9999 - 1900 ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", ZERO_TIME);
	return buf;
}

/* Bytes in IEC units: "512 B", "1.5 KiB", ... "16.0 EiB". */
const char *
fmt_iec(char *buf, size_t len, uint64_t bytes)
{
	uint64_t	div = 1024, n;
	int		exp = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	for (n = bytes / 1024; n >= 1024; n /= 1024) {
		div *= 1024;
		exp++;
	}
	snprintf(buf, len, "%.1f %ciB", (double)bytes / (double)div,
	    "KMGTPE"[exp]);
	return buf;
}

/* ".ddd", the fraction v / 10^digits without its trailing zeros. */
static const char *
fmt_frac(char *buf, size_t len, uint64_t v, int digits)
{
	buf[0] = '\0';
	if (v == 0)
		return buf;
	for (; v % 10 == 0; v /= 10)
		digits--;
	snprintf(buf, len, ".%0*" PRIu64, digits, v);
	return buf;
}

/*
 * Nanoseconds as Go's time.Duration String() writes them: "0s", "850ns",
 * "1.5µs", "12.345678ms", "1.2s", "1m0s", "25h1m1.5s", "-1ns".
 */
const char *
fmt_duration(char *buf, size_t len, int64_t ns)
{
	const char	*sign = ns < 0 ? "-" : "";
	char		 frac[16];
	uint64_t	 u, s;

	/* Unsigned, so that INT64_MIN has a magnitude too. */
	u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	if (u == 0)
		snprintf(buf, len, "0s");
	else if (u < 1000)
		snprintf(buf, len, "%s%" PRIu64 "ns", sign, u);
	else if (u < 1000000)
		snprintf(buf, len, "%s%" PRIu64 "%s" MICRO_SIGN "s", sign,
		    u / 1000, fmt_frac(frac, sizeof(frac), u % 1000, 3));
	else if (u < NS_PER_SEC)
		snprintf(buf, len, "%s%" PRIu64 "%sms", sign, u / 1000000,
		    fmt_frac(frac, sizeof(frac), u % 1000000, 6));
	else {
		s = u / NS_PER_SEC;
		fmt_frac(frac, sizeof(frac), u % NS_PER_SEC, 9);
		if (s >= 3600)
			snprintf(buf, len, "%s%" PRIu64 "h%" PRIu64 "m%" PRIu64
			    "%ss", sign, s / 3600, s / 60 % 60, s % 60, frac);
		else if (s >= 60)
			snprintf(buf, len, "%s%" PRIu64 "m%" PRIu64 "%ss", sign,
			    s / 60, s % 60, frac);
		else
			snprintf(buf, len, "%s%" PRIu64 "%ss", sign, s, frac);
	}
	return buf;
}

static const char *
name_of(const char *const *names, size_t n, int32_t v)
{
	if (v < 0 || (size_t)v >= n || names[v] == NULL)
		return "Unknown";
	return names[v];
}

const char *
fmt_mgmt_state(int32_t state)
{
	return name_of(mgmt_states, nitems(mgmt_states), state);
}

const char *
fmt_daemon_status(int32_t state)
{
	return name_of(daemon_states, nitems(daemon_states), state);
}

const char *
fmt_peer_state(int32_t state)
{
	return name_of(peer_states, nitems(peer_states), state);
}

const char *
fmt_conn_type(int32_t type)
{
	return name_of(conn_types, nitems(conn_types), type);
}

const char *
fmt_backend(int32_t backend)
{
	return name_of(backends, nitems(backends), backend);
}

const char *
fmt_result(int32_t code)
{
	return name_of(results, nitems(results), code);
}

const char *
fmt_log_level(int32_t level)
{
	switch (level) {
	case NBD_LOG_WARNING:
		return "warning";
	case NBD_LOG_INFO:
		return "info";
	case NBD_LOG_DEBUG:
		return "debug";
	case NBD_LOG_DEBUG + 1:
		return "trace";
	default:
		return "unknown";
	}
}

/*
 * The system as Go names it, GOOS/GOARCH: "linux/amd64"; 32-bit ARM as
 * "linux/arm (ARMv7)".  A machine we do not know keeps uname's name.
 */
const char *
fmt_os(char *buf, size_t len)
{
	struct utsname	 u;
	const char	*arch;
	size_t		 i;

	if (uname(&u) == -1) {
		snprintf(buf, len, "unknown/unknown");
		return buf;
	}
	for (i = 0; u.sysname[i] != '\0'; i++)
		u.sysname[i] = tolower((unsigned char)u.sysname[i]);
	if (strncmp(u.machine, "armv", 4) == 0 &&
	    isdigit((unsigned char)u.machine[4])) {
		snprintf(buf, len, "%s/arm (ARMv%c)", u.sysname, u.machine[4]);
		return buf;
	}
	arch = u.machine;
	for (i = 0; i < nitems(goarchs); i++)
		if (strcmp(u.machine, goarchs[i].machine) == 0)
			arch = goarchs[i].goarch;
	snprintf(buf, len, "%s/%s", u.sysname, arch);
	return buf;
}
