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

/*
 * For tests only: an LD_PRELOAD library that moves a process's wall
 * clock (clock_gettime(CLOCK_REALTIME*), gettimeofday(), time()) by the
 * number of seconds written in the file that NBD_CLOCK_SKEW names.  The
 * file is mapped when the process starts, before any chroot or seccomp
 * filter, and read at every call: a test that rewrites it in place
 * (never truncating it) sets the clock of every process that loaded
 * this library, at once.  The monotonic clock is left alone.
 */

#include <sys/mman.h>
#include <sys/time.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SKEW_LEN	32

typedef int	(*clock_fn)(clockid_t, struct timespec *);

static const volatile char	*skew_map;
static clock_fn			 real_clock;

static void	skew_init(void) __attribute__((constructor));
static long	skew_now(void);
static int	skew_real(clockid_t, struct timespec *);

int	clock_gettime(clockid_t, struct timespec *);
int	gettimeofday(struct timeval *restrict, void *restrict);
time_t	time(time_t *);

static void
skew_init(void)
{
	const char	*path;
	void		*p;
	int		 fd;

	if ((path = getenv("NBD_CLOCK_SKEW")) == NULL)
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	p = mmap(NULL, SKEW_LEN, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		skew_map = p;
}

static long
skew_now(void)
{
	char	buf[SKEW_LEN];
	size_t	i;

	if (skew_map == NULL)
		return 0;
	for (i = 0; i < SKEW_LEN - 1; i++)
		buf[i] = skew_map[i];
	buf[SKEW_LEN - 1] = '\0';
	return strtol(buf, NULL, 10);
}

static int
skew_real(clockid_t id, struct timespec *ts)
{
	if (real_clock == NULL)
		real_clock = (clock_fn)dlsym(RTLD_NEXT, "clock_gettime");
	return real_clock(id, ts);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int	r;

	r = skew_real(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += skew_now();
	return r;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec	ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
