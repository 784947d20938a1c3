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
 * Userspace WireGuard (wireguard-go): we start the program as our child
 * in the foreground, wait for its UAPI socket, and speak the UAPI text
 * protocol on it: "set=1" or "get=1", lines of key=value, a blank line;
 * the answer ends with "errno=N" and a blank line.  The answer comes
 * from another program and is parsed as hostile input: bounded lines,
 * strict numbers and keys, a bounded total size.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "compat.h"
#include "netbirdd.h"
#include "wg.h"

#define UAPI_POLL_MS	10
#define UAPI_READ	4096

struct sbuf {
	char	*buf;
	size_t	 len;
	size_t	 size;
	int	 failed;
};

struct uapi_parser {
	struct wg_device_info	*info;
	int			 peer;		/* index, -1: device */
	int			 seen_errno;
	int			 err;
};

static int	uapi_open(struct wg_iface *, const uint8_t *, uint16_t);
static void	uapi_close(struct wg_iface *);
static int	uapi_peers_set(struct wg_iface *, const struct wg_peer *,
		    size_t);
static int	uapi_get(struct wg_iface *, struct wg_device_info *);
static int	uapi_set(struct wg_iface *, const uint8_t *, int,
		    const struct wg_peer *, size_t);
static int	uapi_spawn(struct wg_iface *);
static __dead void uapi_exec(const char *, const char *, pid_t);
static int	uapi_wait_ready(struct wg_iface *);
static void	uapi_stop(struct wg_iface *);
static int	uapi_connect(const char *);
static int	uapi_exchange(struct wg_iface *, const char *, size_t,
		    struct wg_device_info *);
static char	*uapi_read_reply(int, size_t *, size_t *);
static void	sbuf_printf(struct sbuf *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
static void	sbuf_key(struct sbuf *, const char *, const uint8_t *);
static const char *uapi_line(struct uapi_parser *, char *);
static const char *uapi_device_key(struct uapi_parser *, const char *,
		    const char *);
static const char *uapi_peer_key(struct uapi_parser *, const char *,
		    const char *);
static int	uapi_u64(const char *, uint64_t, uint64_t *);
static int	uapi_hexkey(const char *, uint8_t *);
static void	sleep_ms(unsigned int);
static int64_t	now_ms(void);

const struct wg_ops wg_uapi_ops = {
	.name = "userspace",
	.backend = WG_BACKEND_USERSPACE,
	.open = uapi_open,
	.close = uapi_close,
	.peers_set = uapi_peers_set,
	.get = uapi_get,
};

static int
uapi_open(struct wg_iface *wg, const uint8_t *priv, uint16_t port)
{
	if ((size_t)snprintf(wg->sockpath, sizeof(wg->sockpath),
	    "%s/%s.sock", WG_UAPI_DIR, wg->ifname) >= sizeof(wg->sockpath))
		fatalx("%s: socket path too long", __func__);
	if (uapi_spawn(wg) == -1 || uapi_wait_ready(wg) == -1)
		return -1;
	return uapi_set(wg, priv, port, NULL, 0);
}

/* Stop the program we started; remove its socket and link if left. */
static void
uapi_close(struct wg_iface *wg)
{
	unsigned int	ifindex;

	uapi_stop(wg);
	if (wg->sockpath[0] != '\0' && unlink(wg->sockpath) == -1 &&
	    errno != ENOENT)
		log_warn("%s: %s", __func__, wg->sockpath);
	if (nl_link_get(wg->rtnl, &wg->rtnl_seq, wg->ifname, &ifindex,
	    NULL, 0) == -1) {
		if (errno != ENODEV)
			log_warn("%s: %s: link lookup", __func__, wg->ifname);
		return;
	}
	if (nl_link_delete(wg->rtnl, &wg->rtnl_seq, ifindex) == -1 &&
	    errno != ENODEV)
		log_warn("%s: %s: removing interface", __func__, wg->ifname);
}

static int
uapi_peers_set(struct wg_iface *wg, const struct wg_peer *peers, size_t n)
{
	return uapi_set(wg, NULL, -1, peers, n);
}

static int
uapi_get(struct wg_iface *wg, struct wg_device_info *info)
{
	static const char	req[] = "get=1\n\n";

	return uapi_exchange(wg, req, sizeof(req) - 1, info);
}

static int
uapi_set(struct wg_iface *wg, const uint8_t *priv, int port,
    const struct wg_peer *peers, size_t n)
{
	struct wg_device_info	 info;
	char			*req;
	size_t			 len;
	int			 ret;

	if ((req = wg_uapi_set_request(priv, port, peers, n, &len)) == NULL) {
		log_warn("%s: %s", __func__, wg->ifname);
		return -1;
	}
	ret = uapi_exchange(wg, req, len, &info);
	freezero(req, len + 1);
	if (ret == 0)
		wg_info_free(&info);
	return ret;
}

static int
uapi_spawn(struct wg_iface *wg)
{
	pid_t	ppid = getpid();

	switch (wg->pid = fork()) {
	case -1:
		log_warn("%s: %s: fork", __func__, wg->ifname);
		return -1;
	case 0:
		uapi_exec(wg->prog, wg->ifname, ppid);
	}
	return 0;
}

/*
 * In the child: a clean signal state, stdin from /dev/null, stdout to
 * our stderr, no fds of ours, and death with the parent so a crash
 * leaves no interface.  Its errors are logged only when we are verbose.
 */
static __dead void
uapi_exec(const char *prog, const char *ifname, pid_t ppid)
{
	char		 progbuf[PATH_MAX], name[IFNAMSIZ], fg[] = "-f";
	char		*argv[] = { progbuf, fg, name, NULL };
	char		 quiet[] = "LOG_LEVEL=silent";
	char		 errors[] = "LOG_LEVEL=error";
	char		*envp[] = {
		"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1",
		"WG_PROCESS_FOREGROUND=1",	/* no banner on stderr */
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		log_getverbose() > 0 ? errors : quiet,
		NULL
	};
	sigset_t	 set;
	int		 sig, fd;

	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != ppid)
		_exit(126);
	/* its log lines go where ours go when we run in the foreground */
	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1 ||
	    dup2(2, 1) == -1)
		_exit(126);
	closefrom(3);
	strlcpy(progbuf, prog, sizeof(progbuf));
	strlcpy(name, ifname, sizeof(name));
	execve(progbuf, argv, envp);
	_exit(127);
}

/* Bounded wait for the UAPI socket; the program may also die first. */
static int
uapi_wait_ready(struct wg_iface *wg)
{
	int64_t	deadline = now_ms() + WG_START_TIMEOUT_MS;
	pid_t	pid;
	int	fd, status;

	for (;;) {
		if ((pid = waitpid(wg->pid, &status, WNOHANG)) == wg->pid) {
			wg->pid = -1;
			log_warnx("%s: %s: %s exited with status %d while "
			    "starting", __func__, wg->ifname, wg->prog,
			    WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status));
			return -1;
		}
		if ((fd = uapi_connect(wg->sockpath)) != -1) {
			close(fd);
			return 0;
		}
		if (now_ms() > deadline) {
			log_warnx("%s: %s: %s did not open %s within %d ms",
			    __func__, wg->ifname, wg->prog, wg->sockpath,
			    WG_START_TIMEOUT_MS);
			return -1;
		}
		sleep_ms(UAPI_POLL_MS);
	}
}

/* SIGTERM, a bounded wait, then SIGKILL; only the pid we started. */
static void
uapi_stop(struct wg_iface *wg)
{
	int64_t	deadline;
	pid_t	pid;

	if (wg->pid <= 0)
		return;
	if (kill(wg->pid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("%s: %s: kill %d", __func__, wg->ifname, wg->pid);
	deadline = now_ms() + WG_STOP_TIMEOUT_MS;
	while ((pid = waitpid(wg->pid, NULL, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		sleep_ms(UAPI_POLL_MS);
	if (pid == 0) {
		log_warnx("%s: %s: %s did not stop, killing it", __func__,
		    wg->ifname, wg->prog);
		(void)kill(wg->pid, SIGKILL);
		(void)waitpid(wg->pid, NULL, 0);
	}
	wg->pid = -1;
}

static int
uapi_connect(const char *path)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { WG_UAPI_TIMEOUT, 0 };
	int			fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* 1 if something accepts connections on path, 0 if nobody, -1 error. */
int
wg_uapi_alive(const char *path)
{
	int	fd;

	if ((fd = uapi_connect(path)) != -1) {
		close(fd);
		return 1;
	}
	if (errno == ECONNREFUSED || errno == ENOENT)
		return 0;
	return -1;
}

/* Reads up to the blank line; *end is its end, *size the allocation. */
static char *
uapi_read_reply(int fd, size_t *end, size_t *size)
{
	char	*buf = NULL, *nbuf;
	size_t	 len = 0;
	ssize_t	 n;

	*size = 0;
	*end = 0;
	for (;;) {
		if (*size - len < UAPI_READ) {
			if (*size >= WG_UAPI_REPLY_MAX) {
				errno = EMSGSIZE;
				break;
			}
			if ((nbuf = recallocarray(buf, *size,
			    *size + UAPI_READ * 4, 1)) == NULL)
				break;
			buf = nbuf;
			*size += UAPI_READ * 4;
		}
		if ((n = recv(fd, buf + len, *size - len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			break;
		}
		if (n == 0) {
			errno = EPIPE;
			break;
		}
		*end = wg_uapi_reply_end(buf, len + n, len > 0 ? len - 1 : 0);
		len += n;
		if (*end != 0)
			return buf;
	}
	freezero(buf, *size);
	return NULL;
}

static int
uapi_exchange(struct wg_iface *wg, const char *req, size_t reqlen,
    struct wg_device_info *info)
{
	const char	*why;
	char		*reply;
	size_t		 off = 0, end, size;
	ssize_t		 n;
	int		 fd, err;

	memset(info, 0, sizeof(*info));
	if ((fd = uapi_connect(wg->sockpath)) == -1) {
		log_warn("%s: %s: %s", __func__, wg->ifname, wg->sockpath);
		return -1;
	}
	while (off < reqlen) {
		if ((n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: %s: UAPI write", __func__, wg->ifname);
			close(fd);
			return -1;
		}
		off += n;
	}
	reply = uapi_read_reply(fd, &end, &size);
	close(fd);
	if (reply == NULL) {
		log_warn("%s: %s: UAPI read", __func__, wg->ifname);
		return -1;
	}
	why = wg_uapi_parse(reply, end, info, &err);
	freezero(reply, size);
	if (why != NULL) {
		log_warnx("%s: %s: bad UAPI reply: %s", __func__, wg->ifname,
		    why);
		return -1;
	}
	if (err != 0) {
		wg_info_free(info);
		errno = err;
		log_warn("%s: %s: UAPI %s", __func__, wg->ifname,
		    req[0] == 's' ? "set" : "get");
		return -1;
	}
	return 0;
}

static void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	char	*nbuf;
	size_t	 nsize;
	int	 n;

	if (sb->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->failed = 1;
			return;
		}
		if ((size_t)n < sb->size - sb->len) {
			sb->len += n;
			return;
		}
		nsize = sb->size * 2 + n + 1;
		/* recallocarray clears the old buffer: it may hold keys */
		if ((nbuf = recallocarray(sb->buf, sb->size, nsize, 1)) ==
		    NULL) {
			sb->failed = 1;
			return;
		}
		sb->buf = nbuf;
		sb->size = nsize;
	}
}

static void
sbuf_key(struct sbuf *sb, const char *name, const uint8_t *key)
{
	char	hex[WG_KEY_LEN * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), key, WG_KEY_LEN);
	sbuf_printf(sb, "%s=%s\n", name, hex);
	sodium_memzero(hex, sizeof(hex));
}

/*
 * A "set=1" request: the device part (private key if priv, port unless
 * -1), then one part per peer, then the blank line.  The result is a
 * NUL-terminated string of *len bytes, freed with freezero(buf, *len+1)
 * since it may hold keys.  NULL and errno if out of memory.
 */
char *
wg_uapi_set_request(const uint8_t *priv, int port, const struct wg_peer *peers,
    size_t n, size_t *len)
{
	struct sbuf		 sb;
	const struct wg_peer	*p;
	char			 s[WG_ENDPOINT_STRLEN];
	size_t			 i, j;

	memset(&sb, 0, sizeof(sb));
	sbuf_printf(&sb, "set=1\n");
	if (priv != NULL)
		sbuf_key(&sb, "private_key", priv);
	if (port != -1)
		sbuf_printf(&sb, "listen_port=%d\n", port);
	for (i = 0; i < n; i++) {
		p = &peers[i];
		sbuf_key(&sb, "public_key", p->pubkey);
		if (p->flags & WG_PEER_REMOVE) {
			sbuf_printf(&sb, "remove=true\n");
			continue;
		}
		if (p->flags & WG_PEER_PRESHARED)
			sbuf_key(&sb, "preshared_key", p->psk);
		if (p->endpoint.sa.sa_family != AF_UNSPEC) {
			if (wg_endpoint_ntop(&p->endpoint, s, sizeof(s)) == -1)
				fatalx("%s: endpoint not validated", __func__);
			sbuf_printf(&sb, "endpoint=%s\n", s);
		}
		sbuf_printf(&sb, "persistent_keepalive_interval=%u\n",
		    p->keepalive);
		if (p->flags & WG_PEER_REPLACE_ALLOWED)
			sbuf_printf(&sb, "replace_allowed_ips=true\n");
		for (j = 0; j < p->nallowed; j++) {
			if (wg_prefix_ntop(&p->allowed[j], s, sizeof(s)) == -1)
				fatalx("%s: prefix not validated", __func__);
			sbuf_printf(&sb, "allowed_ip=%s\n", s);
		}
	}
	sbuf_printf(&sb, "\n");
	if (sb.failed) {
		freezero(sb.buf, sb.size);
		errno = ENOMEM;
		return NULL;
	}
	*len = sb.len;
	return sb.buf;
}

/*
 * Where a reply ends: just past the first empty line, looking from
 * "from" on (a position already seen, minus one).  0: not yet.
 */
size_t
wg_uapi_reply_end(const char *buf, size_t len, size_t from)
{
	const char	*p;

	if (len == 0)
		return 0;
	if (from == 0 && buf[0] == '\n')
		return 1;
	if (from >= len)
		return 0;
	if ((p = memmem(buf + from, len - from, "\n\n", 2)) == NULL)
		return 0;
	return p - buf + 2;
}

/* Strict unsigned decimal: digits only, no sign, no overflow, <= max. */
static int
uapi_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t	n = 0;

	if (*s == '\0' || strlen(s) > 20)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

static int
uapi_hexkey(const char *s, uint8_t *key)
{
	const char	*end;
	size_t		 len;

	if (strlen(s) != WG_KEY_LEN * 2)
		return -1;
	if (sodium_hex2bin(key, WG_KEY_LEN, s, WG_KEY_LEN * 2, NULL, &len,
	    &end) != 0 || len != WG_KEY_LEN || end != s + WG_KEY_LEN * 2)
		return -1;
	return 0;
}

static const char *
uapi_device_key(struct uapi_parser *ps, const char *key, const char *val)
{
	uint8_t		k[WG_KEY_LEN];
	uint64_t	v;
	int		bad;

	if (strcmp(key, "private_key") == 0) {
		bad = uapi_hexkey(val, k);
		sodium_memzero(k, sizeof(k));
		return bad ? "bad private_key" : NULL;
	}
	if (strcmp(key, "listen_port") == 0) {
		if (uapi_u64(val, UINT16_MAX, &v) == -1)
			return "bad listen_port";
		ps->info->listen_port = v;
		return NULL;
	}
	if (strcmp(key, "fwmark") == 0)
		return uapi_u64(val, UINT32_MAX, &v) ? "bad fwmark" : NULL;
	if (strcmp(key, "protocol_version") == 0)
		return uapi_u64(val, UINT32_MAX, &v) ?
		    "bad protocol_version" : NULL;
	if (strcmp(key, "endpoint") == 0 ||
	    strcmp(key, "preshared_key") == 0 ||
	    strcmp(key, "allowed_ip") == 0 ||
	    strcmp(key, "rx_bytes") == 0 || strcmp(key, "tx_bytes") == 0 ||
	    strncmp(key, "last_handshake_time_", 20) == 0 ||
	    strcmp(key, "persistent_keepalive_interval") == 0)
		return "peer key before public_key";
	return NULL;	/* unknown: a newer implementation */
}

static const char *
uapi_peer_key(struct uapi_parser *ps, const char *key, const char *val)
{
	struct wg_peer_stats	*p = &ps->info->peers[ps->peer];
	union wg_sockaddr	 e;
	struct wg_prefix	 pfx;
	uint8_t			 k[WG_KEY_LEN];
	uint64_t		 v;

	if (strcmp(key, "endpoint") == 0) {
		if (wg_endpoint_pton(val, &e) == -1)
			return "bad endpoint";
		p->endpoint = e;
	} else if (strcmp(key, "last_handshake_time_sec") == 0) {
		if (uapi_u64(val, INT64_MAX, &v) == -1)
			return "bad last_handshake_time_sec";
		p->last_handshake = v;
	} else if (strcmp(key, "last_handshake_time_nsec") == 0) {
		if (uapi_u64(val, 999999999, &v) == -1)
			return "bad last_handshake_time_nsec";
	} else if (strcmp(key, "rx_bytes") == 0) {
		if (uapi_u64(val, UINT64_MAX, &p->rx_bytes) == -1)
			return "bad rx_bytes";
	} else if (strcmp(key, "tx_bytes") == 0) {
		if (uapi_u64(val, UINT64_MAX, &p->tx_bytes) == -1)
			return "bad tx_bytes";
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		if (uapi_u64(val, UINT16_MAX, &v) == -1)
			return "bad persistent_keepalive_interval";
	} else if (strcmp(key, "allowed_ip") == 0) {
		if (wg_prefix_pton(val, &pfx) == -1)
			return "bad allowed_ip";
	} else if (strcmp(key, "preshared_key") == 0) {
		if (uapi_hexkey(val, k) == -1)
			return "bad preshared_key";
		sodium_memzero(k, sizeof(k));
	} else if (strcmp(key, "protocol_version") == 0) {
		if (uapi_u64(val, UINT32_MAX, &v) == -1)
			return "bad protocol_version";
	} else if (strcmp(key, "private_key") == 0 ||
	    strcmp(key, "listen_port") == 0 || strcmp(key, "fwmark") == 0)
		return "device key after public_key";
	return NULL;
}

static const char *
uapi_line(struct uapi_parser *ps, char *line)
{
	uint8_t		 k[WG_KEY_LEN];
	uint64_t	 v;
	char		*val, *c;
	int		 neg, i;

	if ((val = strchr(line, '=')) == NULL || val == line)
		return "line without key";
	*val++ = '\0';
	for (c = line; *c != '\0'; c++)
		if ((*c < 'a' || *c > 'z') && (*c < '0' || *c > '9') &&
		    *c != '_')
			return "bad key";
	if (ps->seen_errno)
		return "line after errno";
	if (strcmp(line, "errno") == 0) {
		/* wg(8) reads it positive; wireguard-go sends it negative */
		neg = val[0] == '-';
		if (uapi_u64(val + neg, INT_MAX, &v) == -1)
			return "bad errno";
		ps->err = v;
		ps->seen_errno = 1;
		return NULL;
	}
	if (strcmp(line, "public_key") == 0) {
		if (uapi_hexkey(val, k) == -1)
			return "bad public_key";
		if ((i = wg_info_add_peer(ps->info, k)) == -1)
			return "too many peers";
		ps->peer = i;
		return NULL;
	}
	if (ps->peer == -1)
		return uapi_device_key(ps, line, val);
	return uapi_peer_key(ps, line, val);
}

/*
 * Parse a UAPI reply of len bytes (up to and including its blank line).
 * NULL when well formed: *err is its errno (0: success) and info holds
 * the port and peers, to be freed with wg_info_free().  Else the reason,
 * and info is empty.
 */
const char *
wg_uapi_parse(const char *buf, size_t len, struct wg_device_info *info,
    int *err)
{
	struct uapi_parser	 ps;
	char			 line[WG_UAPI_LINE_MAX + 1];
	const char		*nl, *why = NULL;
	size_t			 off = 0, n;

	memset(info, 0, sizeof(*info));
	info->listen_port = -1;
	memset(&ps, 0, sizeof(ps));
	ps.info = info;
	ps.peer = -1;
	*err = 0;
	while (why == NULL) {
		if (off >= len) {
			why = "no blank line at the end";
			break;
		}
		n = MINIMUM(len - off, WG_UAPI_LINE_MAX + 1);
		if ((nl = memchr(buf + off, '\n', n)) == NULL) {
			why = n > WG_UAPI_LINE_MAX ? "line too long" :
			    "last line without newline";
			break;
		}
		n = nl - (buf + off);
		if (n == 0) {
			if (!ps.seen_errno)
				why = "no errno";
			else if (off + 1 != len)
				why = "data after the blank line";
			else
				*err = ps.err;
			break;
		}
		if (memchr(buf + off, '\0', n) != NULL) {
			why = "NUL byte in line";
			break;
		}
		memcpy(line, buf + off, n);
		line[n] = '\0';
		off += n + 1;
		why = uapi_line(&ps, line);
	}
	sodium_memzero(line, sizeof(line));
	if (why != NULL)
		wg_info_free(info);
	return why;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("%s: clock_gettime", __func__);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
