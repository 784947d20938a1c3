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

/* Unit tests for common/imsg.c and common/imsg-buffer.c. */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "imsg.h"

#define FD_MARK		0x80000000U	/* as in imsg.c */

struct pair {
	struct imsgbuf	 a;		/* sender */
	struct imsgbuf	 b;		/* receiver */
	int		 sv[2];
};

static int	 failed;

static void	 check(int, const char *);
static void	 pair_open(struct pair *);
static void	 pair_close(struct pair *);
static ssize_t	 pair_recv(struct pair *, struct imsg *);
static void	 raw_write(int, const void *, size_t);
static void	 raw_hdr(int, uint32_t, uint32_t, uint32_t, uint32_t);
static void	 raw_sendfds(int, int, int);
static int	 fd_count(void);
static int	 fd_is_open(int);
static void	 test_compose(void);
static void	 test_many(void);
static void	 test_bytewise(void);
static void	 test_bad_len(void);
static void	 test_large(void);
static void	 test_oversize(void);
static void	 test_get_data(void);
static void	 test_ibuf(void);
static void	 test_strbuf(void);
static void	 test_fdpass(void);
static void	 test_fd_refused(void);
static void	 test_fd_leftover(void);
static void	 test_fd_flood(void);
static void	 test_eof_epipe(void);
static void	 test_partial(void);
static void	 test_read_full(void);
static void	 test_forward(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

static void
pair_open(struct pair *p)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    p->sv) == -1) {
		perror("socketpair");
		exit(1);
	}
	if (imsgbuf_init(&p->a, p->sv[0]) == -1 ||
	    imsgbuf_init(&p->b, p->sv[1]) == -1) {
		perror("imsgbuf_init");
		exit(1);
	}
}

static void
pair_close(struct pair *p)
{
	imsgbuf_clear(&p->a);
	imsgbuf_clear(&p->b);
	if (p->sv[0] != -1)
		close(p->sv[0]);
	if (p->sv[1] != -1)
		close(p->sv[1]);
}

/* Flush a, then read b until a message, an error or 2 s of silence. */
static ssize_t
pair_recv(struct pair *p, struct imsg *imsg)
{
	struct pollfd	 pfd;
	ssize_t		 n;

	if (imsgbuf_flush(&p->a) == -1)
		return -1;
	for (;;) {
		if ((n = imsgbuf_get(&p->b, imsg)) != 0)
			return n;
		pfd.fd = p->sv[1];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) != 1)
			return -1;
		if (imsgbuf_read(&p->b) != 1)
			return -1;
	}
}

static void
raw_write(int fd, const void *data, size_t len)
{
	if (write(fd, data, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
}

static void
raw_hdr(int fd, uint32_t type, uint32_t len, uint32_t peerid, uint32_t pid)
{
	struct imsg_hdr	 hdr = { type, len, peerid, pid };

	raw_write(fd, &hdr, sizeof(hdr));
}

/* One data byte with count copies of fd, bypassing the library. */
static void
raw_sendfds(int sock, int fd, int count)
{
	union {
		struct cmsghdr	hdr;
		unsigned char	buf[CMSG_SPACE(sizeof(int) * 32)];
	} cmsgbuf;
	struct msghdr	 msg;
	struct cmsghdr	*cmsg;
	struct iovec	 iov;
	int		 i;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = "z";
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	for (i = 0; i < count; i++)
		memcpy(CMSG_DATA(cmsg) + i * sizeof(int), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1) {
		perror("sendmsg");
		exit(1);
	}
}

static int
fd_count(void)
{
	DIR	*d;
	int	 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL) {
		perror("opendir");
		exit(1);
	}
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
test_compose(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct ibuf	*msg, rb;
	struct iovec	 iov[3];
	char		 big[100], out[100];
	uint64_t	 v64;
	uint32_t	 v32;
	uint16_t	 v16;
	uint8_t		 v8;
	ssize_t		 n;
	const unsigned char wire[] = {
	    0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };

	pair_open(&p);
	memset(big, 'x', sizeof(big));
	check(imsg_compose(&p.a, 1, 11, 0, -1, "hello", 5) == 1 &&
	    imsg_compose(&p.a, 2, 22, 0, -1, NULL, 0) == 1, "compose queues");
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = "cde";
	iov[2].iov_len = 3;
	check(imsg_composev(&p.a, 3, 33, 1234, -1, iov, 3) == 1,
	    "composev queues");
	msg = imsg_create(&p.a, 4, 44, 0, 2);
	check(msg != NULL && imsg_add(msg, big, sizeof(big)) == sizeof(big) &&
	    ibuf_add_n8(msg, 0x12) == 0 && ibuf_add_n16(msg, 0x3456) == 0 &&
	    ibuf_add_n32(msg, 0x789abcde) == 0 &&
	    ibuf_add_n64(msg, 0x0102030405060708ULL) == 0,
	    "create, add past the size hint, add_n*");
	imsg_close(&p.a, msg);
	check(imsgbuf_queuelen(&p.a) == 4, "queuelen counts 4 messages");

	n = pair_recv(&p, &imsg);
	check(n == 21 && imsg_get_type(&imsg) == 1 &&
	    imsg_get_id(&imsg) == 11 && imsg_get_pid(&imsg) == getpid() &&
	    imsg_get_len(&imsg) == 5 &&
	    imsg.hdr.len == 21 && memcmp(imsg.data, "hello", 5) == 0 &&
	    imsg.fd == -1, "compose round trip, pid 0 means ours");
	check(imsgbuf_queuelen(&p.a) == 0, "flush empties the queue");
	imsg_free(&imsg);

	n = pair_recv(&p, &imsg);
	check(n == 16 && imsg_get_type(&imsg) == 2 && imsg.data == NULL &&
	    imsg_get_len(&imsg) == 0 && imsg_get_ibuf(&imsg, &rb) == 0 &&
	    ibuf_size(&rb) == 0, "empty payload: data NULL, empty reader");
	imsg_free(&imsg);

	n = pair_recv(&p, &imsg);
	check(n == 21 && imsg_get_type(&imsg) == 3 &&
	    imsg_get_id(&imsg) == 33 && imsg_get_pid(&imsg) == 1234 &&
	    imsg_get_len(&imsg) == 5 &&
	    memcmp(imsg.data, "abcde", 5) == 0, "composev round trip");
	imsg_free(&imsg);

	n = pair_recv(&p, &imsg);
	check(n == 16 + 100 + 15 && imsg_get_type(&imsg) == 4 &&
	    imsg_get_id(&imsg) == 44 && imsg_get_len(&imsg) == 115,
	    "create/add/close round trip");
	check(imsg_get_ibuf(&imsg, &rb) == 0 && ibuf_get(&rb, out, 100) == 0 &&
	    memcmp(out, big, 100) == 0 &&
	    memcmp(ibuf_data(&rb), wire, sizeof(wire)) == 0,
	    "add_n* write network byte order");
	check(ibuf_get_n8(&rb, &v8) == 0 && v8 == 0x12 &&
	    ibuf_get_n16(&rb, &v16) == 0 && v16 == 0x3456 &&
	    ibuf_get_n32(&rb, &v32) == 0 && v32 == 0x789abcde &&
	    ibuf_get_n64(&rb, &v64) == 0 && v64 == 0x0102030405060708ULL &&
	    ibuf_size(&rb) == 0, "get_n* read network byte order");
	imsg_free(&imsg);
	pair_close(&p);
}

static void
test_many(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	uint64_t	 i, v;
	int		 good = 1, r;

	pair_open(&p);
	for (i = 0; i < 1000; i++)
		if (imsg_compose(&p.a, 5, 0, 0, -1, &i, sizeof(i)) != 1)
			good = 0;
	check(good && imsgbuf_flush(&p.a) == 0, "1000 messages sent");
	r = imsgbuf_read(&p.b);
	for (i = 0; i < 1000; i++) {
		if (imsgbuf_get(&p.b, &imsg) != 24 ||
		    imsg_get_data(&imsg, &v, sizeof(v)) == -1 || v != i)
			good = 0;
		imsg_free(&imsg);
		if (!good)
			break;
	}
	check(r == 1 && good && imsgbuf_get(&p.b, &imsg) == 0,
	    "1000 messages parsed from one read, in order");
	pair_close(&p);
}

static void
test_bytewise(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	unsigned char	 wire[2 * 26];
	struct imsg_hdr	 hdr = { 7, 26, 3, 99 };
	size_t		 i;
	ssize_t		 n;
	int		 good = 1;

	pair_open(&p);
	memcpy(wire, &hdr, sizeof(hdr));
	memcpy(wire + 16, "0123456789", 10);
	memcpy(wire + 26, wire, 26);
	for (i = 0; i < sizeof(wire); i++) {
		raw_write(p.sv[0], wire + i, 1);
		if (imsgbuf_read(&p.b) != 1)
			good = 0;
		n = imsgbuf_get(&p.b, &imsg);
		if (i == 25 || i == 51) {
			if (n != 26 || imsg_get_type(&imsg) != 7 ||
			    imsg_get_id(&imsg) != 3 ||
			    imsg_get_pid(&imsg) != 99 ||
			    memcmp(imsg.data, "0123456789", 10) != 0)
				good = 0;
			if (n > 0)
				imsg_free(&imsg);
		} else if (n != 0)
			good = 0;
	}
	check(good, "two messages written one byte per read");
	pair_close(&p);
}

static void
test_bad_len(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	const uint32_t	 lens[] = { 0, 15, MAX_IMSGSIZE + 1, 0x7fffffff,
	    FD_MARK | 15, FD_MARK | (MAX_IMSGSIZE + 1) };
	char		 what[80];
	size_t		 i;
	ssize_t		 n;

	for (i = 0; i < nitems(lens); i++) {
		pair_open(&p);
		raw_hdr(p.sv[0], 1, lens[i], 0, 0);
		errno = 0;
		n = imsgbuf_read(&p.b) == 1 ? imsgbuf_get(&p.b, &imsg) : 0;
		snprintf(what, sizeof(what), "header len 0x%x: -1 ERANGE",
		    lens[i]);
		check(n == -1 && errno == ERANGE, what);
		pair_close(&p);
	}
}

static void
test_large(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	unsigned char	*data;
	size_t		 len = 1024 * 1024 - 16, i;
	ssize_t		 n = 0;
	int		 writes = 0;

	check(imsgbuf_init(&p.a, -1) == 0 &&
	    imsgbuf_set_maxsize(&p.a, 15) == -1 && errno == EINVAL &&
	    imsgbuf_set_maxsize(&p.a, IMSG_SIZE_LIMIT + 1) == -1 &&
	    errno == EINVAL && imsgbuf_set_maxsize(&p.a, 16) == 0 &&
	    imsgbuf_set_maxsize(&p.a, IMSG_SIZE_LIMIT) == 0,
	    "set_maxsize bounds");
	imsgbuf_clear(&p.a);

	pair_open(&p);
	if ((data = malloc(len)) == NULL)
		exit(1);
	for (i = 0; i < len; i++)
		data[i] = i * 7 + (i >> 8);
	check(imsgbuf_set_maxsize(&p.a, 1024 * 1024) == 0 &&
	    imsgbuf_set_maxsize(&p.b, 1024 * 1024) == 0 &&
	    imsg_compose(&p.a, 6, 0, 0, -1, data, len) == 1,
	    "1 MiB message composed");
	while (n == 0) {
		if (imsgbuf_write(&p.a) == -1)
			break;
		writes++;
		if (imsgbuf_read(&p.b) != 1)
			break;
		n = imsgbuf_get(&p.b, &imsg);
	}
	check(n == (ssize_t)(len + 16) && writes > 1 &&
	    imsg_get_len(&imsg) == len && memcmp(imsg.data, data, len) == 0,
	    "1 MiB message over several writes and reads, read buffer grown");
	if (n > 0)
		imsg_free(&imsg);
	free(data);
	pair_close(&p);
}

static void
test_oversize(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct ibuf	*msg;
	static char	 data[MAX_IMSGSIZE];
	struct iovec	 iov[2];
	int		 pfd[2];

	pair_open(&p);
	check(imsg_compose(&p.a, 1, 0, 0, -1, data, MAX_IMSGSIZE - 15) == -1 &&
	    errno == ERANGE && imsgbuf_queuelen(&p.a) == 0,
	    "compose over maxsize refused with ERANGE");
	iov[0].iov_base = data;
	iov[0].iov_len = MAX_IMSGSIZE;
	iov[1].iov_base = data;
	iov[1].iov_len = SIZE_MAX - 10;
	check(imsg_composev(&p.a, 1, 0, 0, -1, iov, 2) == -1 &&
	    errno == ERANGE, "composev length overflow refused");
	check(imsg_create(&p.a, 1, 0, 0, MAX_IMSGSIZE) == NULL &&
	    errno == ERANGE, "create over maxsize refused");
	msg = imsg_create(&p.a, 1, 0, 0, 0);
	check(msg != NULL && imsg_add(msg, data, MAX_IMSGSIZE - 16) != -1 &&
	    imsg_add(msg, data, 1) == -1 && errno == ERANGE,
	    "add past maxsize refused (and frees the message)");
	if (pipe(pfd) == -1)
		exit(1);
	check(imsg_compose(&p.a, 1, 0, 0, pfd[1], data, MAX_IMSGSIZE) == -1 &&
	    !fd_is_open(pfd[1]), "failed compose closes its fd");
	close(pfd[0]);
	check(imsg_compose(&p.a, 1, 0, 0, -1, data, MAX_IMSGSIZE - 16) == 1 &&
	    pair_recv(&p, &imsg) == MAX_IMSGSIZE, "message of exactly maxsize");
	imsg_free(&imsg);
	pair_close(&p);
}

static void
test_get_data(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	uint64_t	 v = 0x1122334455667788ULL, out = 0;
	uint32_t	 small;
	char		 large[16];

	pair_open(&p);
	imsg_compose(&p.a, 1, 0, 0, -1, &v, sizeof(v));
	check(pair_recv(&p, &imsg) == 24, "8-byte payload received");
	check(imsg_get_data(&imsg, &small, sizeof(small)) == -1 &&
	    errno == EBADMSG, "get_data shorter than payload: EBADMSG");
	check(imsg_get_data(&imsg, large, sizeof(large)) == -1 &&
	    errno == EBADMSG, "get_data longer than payload: EBADMSG");
	check(imsg_get_data(&imsg, large, 0) == -1 && errno == EINVAL,
	    "get_data of 0 bytes: EINVAL");
	check(imsg_get_data(&imsg, &out, sizeof(out)) == 0 && out == v,
	    "get_data of exactly the payload");
	imsg_free(&imsg);
	imsg_compose(&p.a, 1, 0, 0, -1, NULL, 0);
	check(pair_recv(&p, &imsg) == 16 &&
	    imsg_get_data(&imsg, &out, sizeof(out)) == -1 && errno == EBADMSG,
	    "get_data on an empty payload: EBADMSG");
	imsg_free(&imsg);
	pair_close(&p);
}

static void
test_ibuf(void)
{
	struct ibuf	 rb, *wb;
	unsigned char	 src[7] = { 1, 2, 3, 4, 5, 6, 7 }, tmp[8];
	uint64_t	 v64;
	uint32_t	 v32;
	uint16_t	 v16;
	uint8_t		 v8;

	ibuf_from_buffer(&rb, src, sizeof(src));
	check(ibuf_get_n64(&rb, &v64) == -1 && errno == EBADMSG &&
	    ibuf_size(&rb) == 7, "get_n64 of 7 bytes: EBADMSG, nothing read");
	check(ibuf_get_n32(&rb, &v32) == 0 && v32 == 0x01020304 &&
	    ibuf_get_n16(&rb, &v16) == 0 && v16 == 0x0506 &&
	    ibuf_get_n8(&rb, &v8) == 0 && v8 == 7, "get_n32/16/8 in bounds");
	check(ibuf_get_n8(&rb, &v8) == -1 && errno == EBADMSG &&
	    ibuf_get_n16(&rb, &v16) == -1 && ibuf_get_n32(&rb, &v32) == -1 &&
	    ibuf_skip(&rb, 1) == -1 && ibuf_get(&rb, tmp, 1) == -1 &&
	    ibuf_get(&rb, tmp, 0) == 0, "reads past the end fail");
	check(ibuf_add(&rb, "x", 1) == -1 && ibuf_left(&rb) == 0,
	    "a reader cannot be written to");
	ibuf_from_buffer(&rb, src, sizeof(src));
	check(ibuf_skip(&rb, 8) == -1 && ibuf_skip(&rb, 7) == 0 &&
	    ibuf_size(&rb) == 0, "skip bounds");

	wb = ibuf_open(4);
	check(wb != NULL && ibuf_add_n8(wb, 256) == -1 && errno == ERANGE &&
	    ibuf_add_n16(wb, 0x10000) == -1 && errno == ERANGE &&
	    ibuf_add_n32(wb, 0x100000000ULL) == -1 && errno == ERANGE &&
	    ibuf_size(wb) == 0, "add_n* refuse values that do not fit");
	check(ibuf_add_n8(wb, 255) == 0 && ibuf_add_zero(wb, 3) == 0 &&
	    ibuf_left(wb) == 0 && ibuf_add(wb, "x", 1) == -1 &&
	    errno == ERANGE && ibuf_reserve(wb, SIZE_MAX) == NULL &&
	    errno == ERANGE, "fixed ibuf refuses growth, size overflow");
	ibuf_free(wb);
	wb = ibuf_dynamic(1, 10);
	check(wb != NULL && ibuf_add_n64(wb, UINT64_MAX) == 0 &&
	    ibuf_add_zero(wb, 2) == 0 && ibuf_add_zero(wb, 1) == -1 &&
	    ibuf_size(wb) == 10, "dynamic ibuf grows up to its max");
	ibuf_free(wb);
	check(ibuf_open(0) == NULL && errno == EINVAL &&
	    ibuf_dynamic(5, 4) == NULL && errno == EINVAL,
	    "ibuf_open(0) and max < len refused");
}

static void
test_strbuf(void)
{
	struct ibuf	 rb;
	char		 src[8] = { 'a', 'b', 'c', '\0', 'w', 'x', 'y', 'z' };
	char		 str[8];

	ibuf_from_buffer(&rb, src, sizeof(src));
	check(ibuf_get_strbuf(&rb, str, 4) == 0 && strcmp(str, "abc") == 0,
	    "strbuf with a NUL");
	check(ibuf_get_strbuf(&rb, str, 4) == -1 && errno == EBADMSG &&
	    ibuf_size(&rb) == 4, "strbuf without a NUL: EBADMSG, nothing read");
	check(ibuf_get_strbuf(&rb, str, 8) == -1 && errno == EBADMSG,
	    "strbuf longer than the data: EBADMSG");
	check(ibuf_get_strbuf(&rb, str, 0) == -1 && errno == EINVAL,
	    "strbuf of 0 bytes: EINVAL");
}

static void
test_fdpass(void)
{
	struct pair	 p;
	struct imsg	 imsg1, imsg2, imsg3;
	int		 pa[2], pb[2], base, fd;
	char		 c = 0;

	pair_open(&p);
	imsgbuf_allow_fdpass(&p.b);
	base = fd_count();
	if (pipe(pa) == -1 || pipe(pb) == -1)
		exit(1);
	imsg_compose(&p.a, 1, 0, 0, pa[1], "A", 1);
	imsg_compose(&p.a, 2, 0, 0, -1, "B", 1);
	imsg_compose(&p.a, 3, 0, 0, pb[1], "C", 1);
	check(imsgbuf_flush(&p.a) == 0 && fd_count() == base + 2,
	    "fds sent, the sender closed its copies");
	/* Read everything first: both fds are queued before any get. */
	check(imsgbuf_read(&p.b) == 1 && imsgbuf_read(&p.b) == 1 &&
	    imsgbuf_read(&p.b) == 1 && imsgbuf_get(&p.b, &imsg1) > 0 &&
	    imsgbuf_get(&p.b, &imsg2) > 0 && imsgbuf_get(&p.b, &imsg3) > 0,
	    "fd messages received");
	check(imsg1.fd != -1 && imsg2.fd == -1 && imsg3.fd != -1 &&
	    imsg1.hdr.len == 17, "fds go to the messages that carry them");
	fd = imsg_get_fd(&imsg1);
	check(fd != -1 && imsg_get_fd(&imsg1) == -1,
	    "get_fd gives the fd once");
	check(write(fd, "x", 1) == 1 && read(pa[0], &c, 1) == 1 && c == 'x',
	    "write through the received pipe end");
	close(fd);
	imsg_free(&imsg1);
	imsg_free(&imsg2);
	imsg_free(&imsg3);
	close(pa[0]);
	close(pb[0]);
	check(fd_count() == base, "imsg_free closes an unclaimed fd, no leak");
	pair_close(&p);
}

static void
test_fd_refused(void)
{
	struct pair	 p;
	int		 pa[2], before;

	pair_open(&p);
	if (pipe(pa) == -1)
		exit(1);
	imsg_compose(&p.a, 1, 0, 0, pa[1], "A", 1);
	check(imsgbuf_flush(&p.a) == 0, "fd sent to a receiver that refuses");
	close(pa[0]);
	before = fd_count();
	check(imsgbuf_read(&p.b) == -1 && errno == EBADMSG,
	    "unexpected fd: read fails with EBADMSG");
	check(fd_count() == before, "unexpected fd closed, no leak");
	pair_close(&p);
}

static void
test_fd_leftover(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	int		 pa[2], before;

	pair_open(&p);
	imsgbuf_allow_fdpass(&p.b);
	raw_hdr(p.sv[0], 1, FD_MARK | 16, 0, 0);
	check(pair_recv(&p, &imsg) == 16 && imsg.fd == -1,
	    "a marked message without an fd gets -1");
	imsg_free(&imsg);
	before = fd_count();
	if (pipe(pa) == -1)
		exit(1);
	imsg_compose(&p.a, 1, 0, 0, pa[1], "A", 1);
	close(pa[0]);
	check(imsgbuf_flush(&p.a) == 0 && imsgbuf_read(&p.b) == 1 &&
	    fd_count() == before + 1, "fd queued, message not taken");
	imsgbuf_clear(&p.b);
	check(fd_count() == before, "imsgbuf_clear closes queued fds");
	pair_close(&p);
}

/* A peer that sends more fds than any message claims. */
static void
test_fd_flood(void)
{
	struct pair	 p;
	int		 before, i, r = 1;

	pair_open(&p);
	imsgbuf_allow_fdpass(&p.b);
	before = fd_count();
	raw_sendfds(p.sv[0], 0, 17);
	check(imsgbuf_read(&p.b) == -1 && errno == EBADMSG &&
	    fd_count() == before, "17 fds in one message: EBADMSG, all closed");
	pair_close(&p);

	pair_open(&p);
	imsgbuf_allow_fdpass(&p.b);
	for (i = 0; i < 8 && r == 1; i++) {
		raw_sendfds(p.sv[0], 0, 16);
		r = imsgbuf_read(&p.b);
	}
	check(r == -1 && errno == EBADMSG && i == 5 &&
	    fd_count() == before + 64, "more than 64 unclaimed fds: EBADMSG");
	imsgbuf_clear(&p.b);
	check(fd_count() == before, "the 64 queued fds closed by clear");
	pair_close(&p);
}

static void
test_eof_epipe(void)
{
	struct pair	 p;

	pair_open(&p);
	close(p.sv[0]);
	p.sv[0] = -1;
	check(imsgbuf_read(&p.b) == 0, "peer closed: read returns 0");
	imsg_compose(&p.b, 1, 0, 0, -1, "x", 1);
	check(imsgbuf_write(&p.b) == -1 && errno == EPIPE,
	    "write to a closed peer: -1 EPIPE, no SIGPIPE");
	pair_close(&p);
}

static void
test_partial(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	struct ibuf	*first;
	static unsigned char data[10000];
	uint32_t	 i, got = 0;
	int		 sz = 4096, good = 1, partial = 0, rounds = 0;
	ssize_t		 n;

	pair_open(&p);
	setsockopt(p.sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(p.sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (i = 0; i < 200; i++) {
		memset(data, i, sizeof(data));
		imsg_compose(&p.a, 8, i, 0, -1, data, sizeof(data));
	}
	while (got < 200 && rounds++ < 100000) {
		if (imsgbuf_write(&p.a) == -1) {
			good = 0;
			break;
		}
		first = TAILQ_FIRST(&p.a.w.bufs);
		if (first != NULL && first->rpos != 0)
			partial = 1;
		if (imsgbuf_read(&p.b) != 1)
			good = 0;
		while ((n = imsgbuf_get(&p.b, &imsg)) > 0) {
			memset(data, imsg_get_id(&imsg), sizeof(data));
			if (imsg_get_id(&imsg) != got ||
			    imsg_get_len(&imsg) != sizeof(data) ||
			    memcmp(imsg.data, data, sizeof(data)) != 0)
				good = 0;
			got++;
			imsg_free(&imsg);
		}
		if (n == -1)
			good = 0;
	}
	check(partial, "small SO_SNDBUF: a message was sent in parts");
	check(good && got == 200 && imsgbuf_queuelen(&p.a) == 0,
	    "200 x 10000 bytes arrive whole and in order");
	pair_close(&p);
}

static void
test_read_full(void)
{
	struct pair	 p;
	struct imsg	 imsg;
	static char	 data[MAX_IMSGSIZE - 16];
	int		 i, got = 0;

	pair_open(&p);
	for (i = 0; i < 5; i++)
		imsg_compose(&p.a, 1, 0, 0, -1, data, sizeof(data));
	check(imsgbuf_flush(&p.a) == 0 && imsgbuf_read(&p.b) == 1 &&
	    imsgbuf_read(&p.b) == -1 && errno == ENOBUFS,
	    "read into a buffer full of messages: ENOBUFS");
	while (imsgbuf_get(&p.b, &imsg) > 0) {
		got++;
		imsg_free(&imsg);
	}
	while (imsgbuf_read(&p.b) == 1 && imsgbuf_get(&p.b, &imsg) > 0) {
		got++;
		imsg_free(&imsg);
	}
	check(got == 5, "after draining, reading resumes");
	pair_close(&p);
}

static void
test_forward(void)
{
	struct pair	 p, q;
	struct imsg	 in, out;

	pair_open(&p);
	pair_open(&q);
	imsg_compose(&p.a, 9, 77, 4242, -1, "payload", 7);
	check(pair_recv(&p, &in) == 23 && imsg_forward(&q.a, &in) == 1 &&
	    pair_recv(&q, &out) == 23, "forwarded message received");
	check(imsg_get_type(&out) == 9 && imsg_get_id(&out) == 77 &&
	    imsg_get_pid(&out) == 4242 && imsg_get_len(&out) == 7 &&
	    memcmp(out.data, "payload", 7) == 0,
	    "forward keeps type, peerid, pid and payload");
	imsg_free(&in);
	imsg_free(&out);
	imsg_compose(&p.a, 10, 1, 0, -1, NULL, 0);
	check(pair_recv(&p, &in) == 16 && imsg_forward(&q.a, &in) == 1 &&
	    pair_recv(&q, &out) == 16 && imsg_get_type(&out) == 10,
	    "forward of an empty message");
	imsg_free(&in);
	imsg_free(&out);
	pair_close(&p);
	pair_close(&q);
}

int
main(void)
{
	int	 base;

	base = fd_count();
	test_compose();
	test_many();
	test_bytewise();
	test_bad_len();
	test_large();
	test_oversize();
	test_get_data();
	test_ibuf();
	test_strbuf();
	test_fdpass();
	test_fd_refused();
	test_fd_leftover();
	test_fd_flood();
	test_eof_epipe();
	test_partial();
	test_read_full();
	test_forward();
	check(fd_count() == base, "no fd leaked by the whole test");
	return failed;
}
