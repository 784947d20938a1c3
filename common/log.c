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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static void	logit(int, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	vlog_errno(int, int, const char *, va_list)
		    __attribute__((__format__ (printf, 3, 0)));

static int		 log_foreground = 1;
static int		 log_verbose;
static const char	*log_proc = "netbirdd";

void
log_init(int foreground, int facility)
{
	log_foreground = foreground;
	if (!foreground)
		openlog("netbirdd", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *name)
{
	if (name != NULL)
		log_proc = name;
}

const char *
log_procname(void)
{
	return log_proc;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* Every line names the process, so interleaved output stays readable. */
void
vlog(int pri, const char *fmt, va_list ap)
{
	char	line[1024];
	int	saved_errno = errno;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_foreground)
		fprintf(stderr, "%s: %s\n", log_proc, line);
	else
		syslog(pri, "%s: %s", log_proc, line);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vlog_errno(int pri, int code, const char *fmt, va_list ap)
{
	char	msg[1024];

	if (fmt == NULL) {
		logit(pri, "%s", strerror(code));
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(code));
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	code = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, code, fmt, ap);
	va_end(ap);
	errno = code;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

static __dead void
vfatalc(int code, const char *fmt, va_list ap)
{
	char	msg[1024];

	if (fmt != NULL)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	else
		msg[0] = '\0';
	if (code != 0)
		logit(LOG_CRIT, "fatal in %s: %s%s%s", log_proc, msg,
		    msg[0] != '\0' ? ": " : "", strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s: %s", log_proc, msg);
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalc(errno, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfatalc(0, fmt, ap);
	va_end(ap);
}
