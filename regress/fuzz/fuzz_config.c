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
 * libFuzzer target for netbirdd.conf(5).  The input is written to a file
 * of mode 0600 and parsed.  When it parses, print_config()'s output must
 * parse again and print the same (an inline setup key, hidden, comes
 * back as no key), every string in the result must be NUL-terminated,
 * and no setup key may be printed.
 *
 * $keyfile names a valid setup-key file, for inputs to use.
 *
 * The parser's messages go to stderr; the target points the stderr
 * stream at /dev/null so that they cost nothing.  libFuzzer and the
 * sanitizers write to file descriptor 2, which stays open.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	 cleanup(void);
static void	 write_file(const char *, const void *, size_t);
static char	*print(const struct nbd_config *, size_t *);
static void	 check_strings(const struct nbd_config *);

/* tmpfs if there is one: rewriting a file on disk may wait for the disk. */
static char	dir[] = "/dev/shm/fuzz_config.XXXXXX";
static char	input[sizeof(dir) + 16], printed[sizeof(dir) + 16];
static char	keyfile[sizeof(dir) + 16];

static void
cleanup(void)
{
	unlink(input);
	unlink(printed);
	unlink(keyfile);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char	 key[] = " 01234567-89AB-cdef-0123-456789ABCDEF\r\n";
	char			 macro[sizeof(keyfile) + 16];
	FILE			*null;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		strlcpy(dir, "/tmp/fuzz_config.XXXXXX", sizeof(dir));
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(input, sizeof(input), "%s/input.conf", dir);
	snprintf(printed, sizeof(printed), "%s/printed.conf", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/setup.key", dir);
	atexit(cleanup);
	write_file(keyfile, key, sizeof(key) - 1);
	snprintf(macro, sizeof(macro), "keyfile=%s", keyfile);
	if (cmdline_symset(macro) == -1)
		abort();
	if ((null = fopen("/dev/null", "w")) == NULL)
		abort();
	stderr = null;
	log_init(1, 0);
	return 0;
}

static void
write_file(const char *path, const void *data, size_t size)
{
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* print_config() into memory. */
static char *
print(const struct nbd_config *conf, size_t *len)
{
	FILE	*saved = stdout, *mem;
	char	*buf = NULL;

	if ((mem = open_memstream(&buf, len)) == NULL)
		abort();
	stdout = mem;
	print_config(conf);
	stdout = saved;
	fclose(mem);
	return buf;
}

static void
check_strings(const struct nbd_config *c)
{
	if (memchr(c->mgmt_url, '\0', sizeof(c->mgmt_url)) == NULL ||
	    memchr(c->setup_key, '\0', sizeof(c->setup_key)) == NULL ||
	    memchr(c->setup_key_file, '\0', sizeof(c->setup_key_file)) == NULL ||
	    memchr(c->ifname, '\0', sizeof(c->ifname)) == NULL ||
	    memchr(c->wg_userspace, '\0', sizeof(c->wg_userspace)) == NULL ||
	    memchr(c->state_dir, '\0', sizeof(c->state_dir)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 hidden[] = "# setup-key hidden\n";
	static const char	 unset[] = "# setup-key not set\n";
	struct nbd_config	 conf, again;
	char			*out1, *out2, *p;
	size_t			 len1, len2;

	write_file(input, data, size);
	if (parse_config(input, &conf) == -1)
		return 0;
	check_strings(&conf);
	out1 = print(&conf, &len1);
	if (conf.setup_key[0] != '\0' && strstr(out1, conf.setup_key) != NULL)
		abort();

	write_file(printed, out1, len1);
	if (parse_config(printed, &again) == -1)
		abort();
	out2 = print(&again, &len2);
	if ((p = strstr(out1, hidden)) != NULL) {
		if (again.setup_key[0] != '\0' ||
		    len2 != len1 - strlen(hidden) + strlen(unset) ||
		    memcmp(out2, out1, p - out1) != 0 ||
		    memcmp(out2 + (p - out1), unset, strlen(unset)) != 0 ||
		    strcmp(out2 + (p - out1) + strlen(unset),
		    p + strlen(hidden)) != 0)
			abort();
	} else if (len1 != len2 || memcmp(out1, out2, len1) != 0 ||
	    strcmp(conf.setup_key, again.setup_key) != 0)
		abort();
	free(out1);
	free(out2);
	explicit_bzero(&conf, sizeof(conf));
	explicit_bzero(&again, sizeof(again));
	return 0;
}
