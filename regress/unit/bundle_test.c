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
 * Unit tests for the debug bundle's archive (netbirdctl/bundle.c): a
 * bundle written to a file is listed and extracted by tar(1) (GNU tar,
 * gzip through zlib's reader) with the names, modes, sizes, times and
 * contents given; hostile names and lists are refused before a byte is
 * written; a failing descriptor is reported.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"

static int	 failed;
static char	 dir[] = "/tmp/bundle_test.XXXXXX";

static void	 check(int, const char *);
static int	 shell(const char *, ...);
static char	*slurp(const char *, size_t *);
static int	 write_bundle(const char *, const struct bundle_file *, size_t,
		    char *, size_t);
static void	 test_roundtrip(void);
static void	 test_hostile(void);
static void	 test_bad_fd(void);
static void	 test_readme(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

/* system(3) of a formatted command; its exit status, or -1. */
static int
shell(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) == -1 ||
	    fseek(f, 0, SEEK_SET) == -1 || (buf = malloc(n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, n, f);
	fclose(f);
	return buf;
}

static int
write_bundle(const char *path, const struct bundle_file *files, size_t n,
    char *err, size_t errlen)
{
	int	fd, r;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(path);
		exit(1);
	}
	r = bundle_write(fd, files, n, err, errlen);
	close(fd);
	return r;
}

static void
test_roundtrip(void)
{
	struct bundle_file	 files[5];
	char			 path[128], x[512], err[256], line[512];
	char			*big, *got;
	const char		*names[] = { "README.txt", "status.txt",
				    "empty.txt", "client.log",
				    "network_map.json" };
	FILE			*p;
	size_t			 i, len, nlines = 0;
	size_t			 bigsz = 3 * 1024 * 1024 + 7;
	int			 ok;

	if ((big = malloc(bigsz)) == NULL)
		exit(1);
	for (i = 0; i < bigsz; i++)
		big[i] = (char)(i * 2654435761U >> 13);
	memset(files, 0, sizeof(files));
	files[0].data = bundle_readme();
	files[0].len = strlen(bundle_readme());
	files[1].data = "Daemon status: Connected\n";
	files[1].len = 25;
	files[2].data = NULL;
	files[2].len = 0;
	files[3].data = big;
	files[3].len = bigsz;
	files[4].data = "{\"serial\": 1}\n";
	files[4].len = 14;
	for (i = 0; i < 5; i++) {
		files[i].name = names[i];
		files[i].mtime = 1700000000 + i;
	}
	snprintf(path, sizeof(path), "%s/b.tar.gz", dir);
	check(write_bundle(path, files, 5, err, sizeof(err)) == 0,
	    "bundle of 5 files written");
	check(shell("gzip -t %s", path) == 0, "gzip -t accepts it");

	/* tar -tzv: "-rw------- 0/0 <size> <date> <time> <name>" */
	snprintf(x, sizeof(x), "TZ=UTC tar --numeric-owner -tzvf %s", path);
	if ((p = popen(x, "r")) == NULL)
		exit(1);
	ok = 1;
	while (fgets(line, sizeof(line), p) != NULL) {
		char	mode[16], owner[16], name[128];
		size_t	size;

		if (nlines >= 5 || sscanf(line, "%15s %15s %zu %*s %*s %127s",
		    mode, owner, &size, name) != 4 ||
		    strcmp(mode, "-rw-------") != 0 ||
		    strcmp(owner, "0/0") != 0 || size != files[nlines].len ||
		    strcmp(name, files[nlines].name) != 0)
			ok = 0;
		nlines++;
	}
	check(pclose(p) == 0 && ok && nlines == 5,
	    "tar -tzvf: names, mode 0600, owner 0/0, sizes, in order");

	check(shell("cd %s && tar -xzf b.tar.gz", dir) == 0, "tar -xzf");
	for (i = 0; i < 5; i++) {
		struct stat	st;

		snprintf(x, sizeof(x), "%s/%s", dir, files[i].name);
		got = slurp(x, &len);
		snprintf(line, sizeof(line), "%s extracted as given",
		    files[i].name);
		check(got != NULL && len == files[i].len && (len == 0 ||
		    memcmp(got, files[i].data, len) == 0) && stat(x, &st) == 0
		    && st.st_mtime == files[i].mtime, line);
		free(got);
	}
	free(big);

	/* No files: an empty archive tar still reads. */
	check(write_bundle(path, NULL, 0, err, sizeof(err)) == 0 &&
	    shell("tar -tzf %s >/dev/null", path) == 0, "empty bundle");
}

static void
test_hostile(void)
{
	static const char	*bad[] = { "", "a/b", "/etc/passwd", "..",
				    "../x", "x/../y", ".hidden", ".", "a\nb",
				    "a b", "x\\y", "caf\xc3\xa9", "a..b",
				    NULL };
	struct bundle_file	 f[2], many[BUNDLE_FILES_MAX + 1];
	char			 path[256], err[256], what[300], name[128];
	struct stat		 st;
	size_t			 i;
	int			 r;

	snprintf(path, sizeof(path), "%s/h.tar.gz", dir);
	memset(f, 0, sizeof(f));
	f[0].data = "x";
	f[0].len = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f[0].name = bad[i];
		err[0] = '\0';
		r = write_bundle(path, f, 1, err, sizeof(err));
		snprintf(what, sizeof(what), "name %zu refused (%s)", i,
		    err);
		check(r == -1 && stat(path, &st) == 0 && st.st_size == 0 &&
		    err[0] != '\0', what);
	}
	memset(name, 'n', sizeof(name));
	name[99] = '\0';
	f[0].name = name;
	check(write_bundle(path, f, 1, err, sizeof(err)) == 0,
	    "99-character name accepted");
	name[99] = 'n';
	name[100] = '\0';
	check(write_bundle(path, f, 1, err, sizeof(err)) == -1,
	    "100-character name refused");

	f[0].name = "a.txt";
	f[1] = f[0];
	check(write_bundle(path, f, 2, err, sizeof(err)) == -1 &&
	    strstr(err, "twice") != NULL, "duplicate name refused");
	f[1].name = "b.txt";
	f[1].data = NULL;
	check(write_bundle(path, f, 2, err, sizeof(err)) == -1,
	    "data NULL with a length refused");
	f[1].data = "y";
	f[1].mtime = -1;
	check(write_bundle(path, f, 2, err, sizeof(err)) == -1,
	    "negative time refused");
	f[1].mtime = 0;
	f[1].len = (size_t)BUNDLE_FILE_MAX + 1;
	check(write_bundle(path, f, 2, err, sizeof(err)) == -1,
	    "file over the size limit refused");
	for (i = 0; i < BUNDLE_FILES_MAX + 1; i++)
		many[i] = f[0];
	check(write_bundle(path, many, BUNDLE_FILES_MAX + 1, err,
	    sizeof(err)) == -1, "too many files refused");
	check(stat(path, &st) == 0 && st.st_size == 0,
	    "nothing written for a refused list");
}

static void
test_bad_fd(void)
{
	struct bundle_file	f = { "a.txt", "x", 1, 0 };
	char			err[256] = "";
	int			fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		exit(1);
	check(bundle_write(fd, &f, 1, err, sizeof(err)) == -1 &&
	    strncmp(err, "write:", 6) == 0, "read-only descriptor: error");
	close(fd);
}

static void
test_readme(void)
{
	const char	*r = bundle_readme();

	check(strstr(r, "198.51.100.1") != NULL &&
	    strstr(r, "2001:db8:ffff::1") != NULL &&
	    strstr(r, "anon-1.domain") != NULL &&
	    strstr(r, "100.64/10") != NULL &&
	    strstr(r, "network_map.json") != NULL,
	    "README names the replacements and the files");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_roundtrip();
	test_hostile();
	test_bad_fd();
	test_readme();
	shell("rm -rf %s", dir);
	return failed;
}
