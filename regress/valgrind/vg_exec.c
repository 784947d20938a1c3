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
 * Linked into netbirdd_vg only (ld --wrap=execv).  proc_start()
 * re-executes the daemon through /proc/self/exe; under valgrind that
 * link names valgrind's tool, not the daemon, and valgrind 3.19 then
 * fails to load it as the child.  valgrind answers readlink() of
 * /proc/self/exe with the client's path, so the child is executed by
 * that path, and valgrind, which follows execve(), runs it too.
 */

#include <limits.h>
#include <string.h>
#include <unistd.h>

int	__real_execv(const char *, char *const []);
int	__wrap_execv(const char *, char *const []);

int
__wrap_execv(const char *path, char *const argv[])
{
	char	 exe[PATH_MAX];
	ssize_t	 n;

	if (strcmp(path, "/proc/self/exe") != 0)
		return __real_execv(path, argv);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) == -1)
		return -1;
	exe[n] = '\0';
	return __real_execv(exe, argv);
}
