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

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"

static void	proc_child_dispatch(int, short, void *);
static void	proc_child_signal(int, short, void *);
static void	proc_child_common(struct imsgev *, struct imsg *);
static void	proc_child_sibling(struct imsg *);
static void	proc_conf_check(const struct nbd_config *);
static const struct passwd *proc_user(void);
static void	proc_setup(enum nbd_proc);

const char *const proc_names[PROC_MAX] = {
	[PROC_PARENT] =		"parent",
	[PROC_MGMT] =		"mgmt",
	[PROC_SIGNAL] =		"signal",
	[PROC_ICE] =		"ice",
	[PROC_METRICS] =	"metrics",
	[PROC_CONTROL] =	"control",
	[PROC_DNS] =		"dns",
};

static const char *const imsg_names[IMSG_MAX] = {
	[IMSG_NONE] =			"NONE",
	[IMSG_SOCKET_CONN] =		"SOCKET_CONN",
	[IMSG_SOCKET_CONTROL] =		"SOCKET_CONTROL",
	[IMSG_SOCKET_METRICS] =		"SOCKET_METRICS",
	[IMSG_RECONF_CONF] =		"RECONF_CONF",
	[IMSG_RECONF_DONE] =		"RECONF_DONE",
	[IMSG_KEY_PUBLIC] =		"KEY_PUBLIC",
	[IMSG_KEY_SHARED_REQ] =		"KEY_SHARED_REQ",
	[IMSG_KEY_SHARED] =		"KEY_SHARED",
	[IMSG_DNS_QUERY] =		"DNS_QUERY",
	[IMSG_DNS_ANSWER] =		"DNS_ANSWER",
	[IMSG_MGMT_STATE] =		"MGMT_STATE",
	[IMSG_MGMT_CONFIG] =		"MGMT_CONFIG",
	[IMSG_MGMT_NETMAP_BEGIN] =	"MGMT_NETMAP_BEGIN",
	[IMSG_MGMT_NETMAP_PEER] =	"MGMT_NETMAP_PEER",
	[IMSG_MGMT_NETMAP_END] =	"MGMT_NETMAP_END",
	[IMSG_PEER_ADD] =		"PEER_ADD",
	[IMSG_PEER_UPDATE] =		"PEER_UPDATE",
	[IMSG_PEER_DEL] =		"PEER_DEL",
	[IMSG_SIGNAL_SEND] =		"SIGNAL_SEND",
	[IMSG_SIGNAL_RECV] =		"SIGNAL_RECV",
	[IMSG_SIGNAL_STATE] =		"SIGNAL_STATE",
	[IMSG_WG_ENDPOINT] =		"WG_ENDPOINT",
	[IMSG_WG_STATS_REQ] =		"WG_STATS_REQ",
	[IMSG_WG_STATS] =		"WG_STATS",
	[IMSG_WG_STATS_END] =		"WG_STATS_END",
	[IMSG_SOCKET_RAW] =		"SOCKET_RAW",
	[IMSG_HOST_ADDRS_REQ] =		"HOST_ADDRS_REQ",
	[IMSG_HOST_ADDRS] =		"HOST_ADDRS",
	[IMSG_PEERS_CONNECTED] =	"PEERS_CONNECTED",
	[IMSG_MGMT_SYNC_DONE] =		"MGMT_SYNC_DONE",
	[IMSG_METRIC_SELF] =		"METRIC_SELF",
	[IMSG_METRIC_CONN] =		"METRIC_CONN",
	[IMSG_METRIC_PEER] =		"METRIC_PEER",
	[IMSG_METRIC_PEER_DEL] =	"METRIC_PEER_DEL",
	[IMSG_METRIC_SYNC] =		"METRIC_SYNC",
	[IMSG_METRIC_LOGIN] =		"METRIC_LOGIN",
	[IMSG_METRIC_RSS] =		"METRIC_RSS",
	[IMSG_CTL_SHOW_STATUS] =	"CTL_SHOW_STATUS",
	[IMSG_CTL_SHOW_PEERS] =		"CTL_SHOW_PEERS",
	[IMSG_CTL_SHOW_PEER] =		"CTL_SHOW_PEER",
	[IMSG_CTL_LOG_VERBOSE] =	"CTL_LOG_VERBOSE",
	[IMSG_CTL_RELOAD] =		"CTL_RELOAD",
	[IMSG_CTL_SHOW_RELAYS] =	"CTL_SHOW_RELAYS",
	[IMSG_CTL_SHOW_RELAY] =		"CTL_SHOW_RELAY",
	[IMSG_CTL_SHOW_METRICS] =	"CTL_SHOW_METRICS",
	[IMSG_CTL_SHOW_CONFIG] =	"CTL_SHOW_CONFIG",
	[IMSG_CTL_SHOW_NETMAP] =	"CTL_SHOW_NETMAP",
	[IMSG_CTL_TEXT] =		"CTL_TEXT",
	[IMSG_CTL_RESULT] =		"CTL_RESULT",
	[IMSG_CTL_END] =		"CTL_END",
};

/* The running child: its configuration and its connections. */
struct proc_env		 penv;
static const struct proc_child *pchild;

const char *
imsg_type_name(uint32_t type)
{
	if (type >= IMSG_MAX || imsg_names[type] == NULL)
		return "UNKNOWN";
	return imsg_names[type];
}

/*
 * Fork and re-execute ourselves as the child "proc", with its socket to
 * the parent on fd 3.  Re-executing gives the child a fresh address space
 * layout and none of the parent's memory (the private key).
 */
pid_t
proc_start(enum nbd_proc proc, int fd, int debug, int verbose)
{
	sigset_t set;
	char	*argv[8];
	char	 title[16];
	int	 argc = 0;
	pid_t	 pid;

	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		break;
	default:
		close(fd);
		return pid;
	}

	if (fd != 3) {
		if (dup2(fd, 3) == -1)
			fatal("%s: dup2", __func__);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		fatal("%s: fcntl", __func__);

	/*
	 * A short argv[0]: libbsd's setproctitle() marks the end of a
	 * longer one with a dot that ps(1) would show after the title.
	 */
	strlcpy(title, proc_names[proc], sizeof(title));
	argv[argc++] = "netbirdd";
	argv[argc++] = "-P";
	argv[argc++] = title;
	if (debug)
		argv[argc++] = "-d";
	if (verbose >= 1)
		argv[argc++] = "-v";
	if (verbose >= 2)
		argv[argc++] = "-v";
	argv[argc] = NULL;

	/* A SIGTERM before the child can handle it waits, not kills. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("%s: sigprocmask", __func__);
	execv("/proc/self/exe", argv);
	fatal("%s: execv", __func__);
}

static const struct passwd *
proc_user(void)
{
	const struct passwd	*pw;

	if ((pw = getpwnam(NBD_USER)) != NULL)
		return pw;
	if ((pw = getpwnam(NBD_USER_FALLBACK)) != NULL)
		return pw;
	fatalx("neither user %s nor %s exists", NBD_USER, NBD_USER_FALLBACK);
}

/*
 * Confine a child, always in this order: chroot to an empty directory,
 * title, drop to the unprivileged user, then the seccomp filter last.
 * The dns child keeps the real root: it must read the resolver
 * configuration.
 */
static void
proc_setup(enum nbd_proc proc)
{
	const struct passwd	*pw;

	pw = proc_user();

	if (proc != PROC_DNS) {
		if (chroot(NBD_CHROOT) == -1)
			fatal("chroot %s", NBD_CHROOT);
	}
	if (chdir("/") == -1)
		fatal("chdir /");

	setproctitle("%s", proc_names[proc]);

	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("can't drop privileges");

	sandbox_apply(proc);
}

void
imsgev_init(struct imsgev *iev, int fd, enum nbd_proc proc,
    void (*handler)(int, short, void *), void *data)
{
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		fatal("%s: imsgbuf_init", __func__);
	if (imsgbuf_set_maxsize(&iev->ibuf, NBD_MAX_IMSGSIZE) == -1)
		fatal("%s: imsgbuf_set_maxsize", __func__);
	imsgbuf_allow_fdpass(&iev->ibuf);
	iev->handler = handler;
	iev->data = data;
	iev->proc = proc;
	iev->events = 0;
	imsgev_add(iev);
}

void
imsgev_add(struct imsgev *iev)
{
	short	events = EV_READ;

	/* One-shot events: re-armed after every dispatch. */
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = events;
	event_set(&iev->ev, iev->ibuf.fd, events, iev->handler, iev);
	if (event_add(&iev->ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

void
imsgev_clear(struct imsgev *iev)
{
	if (iev->events != 0)
		event_del(&iev->ev);
	iev->events = 0;
	imsgbuf_clear(&iev->ibuf);
	close(iev->ibuf.fd);
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t len)
{
	if (imsg_compose(&iev->ibuf, type, peerid, pid, fd, data, len) == -1)
		return -1;
	imsgev_add(iev);
	return 0;
}

/*
 * Move bytes for an imsgev.  Returns -1 when the other end has closed
 * the connection or it broke; the caller decides what that means.
 */
int
imsgev_dispatch_io(struct imsgev *iev, short event)
{
	if (event & EV_READ) {
		switch (imsgbuf_read(&iev->ibuf)) {
		case -1:
			if (errno != ECONNRESET)
				log_warn("read from %s", proc_names[iev->proc]);
			return -1;
		case 0:
			return -1;
		}
	}
	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1) {
			if (errno != EPIPE)
				log_warn("write to %s", proc_names[iev->proc]);
			return -1;
		}
	}
	return 0;
}

void
imsg_data_exact(struct imsg *imsg, void *data, size_t len, const char *func)
{
	if (imsg_get_data(imsg, data, len) == -1)
		fatalx("%s: %s: payload of %zu bytes, want %zu", func,
		    imsg_type_name(imsg->hdr.type), imsg_get_len(imsg), len);
}

void
imsg_empty(struct imsg *imsg, const char *func)
{
	if (imsg_get_len(imsg) != 0)
		fatalx("%s: %s: payload of %zu bytes, want none", func,
		    imsg_type_name(imsg->hdr.type), imsg_get_len(imsg));
}

/*
 * The common life of a child: confine it, then serve the parent and the
 * siblings the parent connects it to.  Messages every child understands
 * are handled here; everything else goes to the child's own dispatcher
 * for the sending process.  A message nobody expects is fatal.
 */
__dead void
proc_child_run(const struct proc_child *child, int debug, int verbose)
{
	struct event	ev_term, ev_int, ev_hup, ev_pipe;
	sigset_t	set;

	pchild = child;
	penv.proc = child->proc;
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(proc_names[child->proc]);
	/* What the filter will not allow later: epoll, files, libraries. */
	penv.evbase = event_init();
	if (child->preinit != NULL)
		child->preinit();
	proc_setup(child->proc);

	signal_set(&ev_term, SIGTERM, proc_child_signal, NULL);
	signal_set(&ev_int, SIGINT, proc_child_signal, NULL);
	signal_set(&ev_hup, SIGHUP, proc_child_signal, NULL);
	signal_set(&ev_pipe, SIGPIPE, proc_child_signal, NULL);
	signal_add(&ev_term, NULL);
	signal_add(&ev_int, NULL);
	signal_add(&ev_hup, NULL);
	signal_add(&ev_pipe, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		fatal("sigprocmask");

	if ((penv.iev[PROC_PARENT] = calloc(1, sizeof(struct imsgev))) == NULL)
		fatal(NULL);
	imsgev_init(penv.iev[PROC_PARENT], 3, PROC_PARENT,
	    proc_child_dispatch, NULL);
	if (child->init != NULL)
		child->init();

	log_debug("started");
	event_dispatch();
	if (child->shutdown != NULL)
		child->shutdown();
	log_debug("exiting");
	exit(0);
}

static void
proc_child_signal(int sig, short event, void *arg)
{
	(void)event;
	(void)arg;
	/* Only the parent's SIGTERM stops a child; ^C is the parent's. */
	if (sig == SIGTERM)
		event_loopexit(NULL);
}

static void
proc_child_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	/*
	 * The parent gone, or a sibling: either the daemon is stopping or
	 * the parent is about to learn of a lost child and stop it.
	 */
	if (imsgev_dispatch_io(iev, event) == -1) {
		log_debug("%s closed the connection", proc_names[iev->proc]);
		if (pchild->shutdown != NULL)
			pchild->shutdown();
		exit(0);
	}
	while ((n = imsgbuf_get(&iev->ibuf, &imsg)) > 0) {
		proc_child_common(iev, &imsg);
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("%s: imsgbuf_get from %s", __func__,
		    proc_names[iev->proc]);
	imsgev_add(iev);
}

static void
proc_child_common(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_verbose	v;
	uint32_t		type = imsg_get_type(imsg);

	if (log_getverbose() >= 2)
		log_debug("imsg %s from %s", imsg_type_name(type),
		    proc_names[iev->proc]);

	if (iev->proc == PROC_PARENT) {
		switch (type) {
		case IMSG_SOCKET_CONN:
			proc_child_sibling(imsg);
			return;
		case IMSG_RECONF_CONF:
			imsg_data_exact(imsg, &penv.conf, sizeof(penv.conf),
			    __func__);
			proc_conf_check(&penv.conf);
			return;
		case IMSG_KEY_PUBLIC:
			imsg_data_exact(imsg, &penv.pubkey,
			    sizeof(penv.pubkey), __func__);
			return;
		case IMSG_RECONF_DONE:
			imsg_empty(imsg, __func__);
			penv.configured = 1;
			if (pchild->configured != NULL)
				pchild->configured();
			return;
		case IMSG_CTL_LOG_VERBOSE:
			imsg_data_exact(imsg, &v, sizeof(v), __func__);
			if (v.level < NBD_LOG_WARNING || v.level > NBD_LOG_DEBUG)
				fatalx("%s: bad log level %d", __func__, v.level);
			log_setverbose(v.level);
			return;
		}
	}
	if (pchild->dispatch[iev->proc] == NULL)
		fatalx("%s: unexpected %s from %s", __func__,
		    imsg_type_name(type), proc_names[iev->proc]);
	pchild->dispatch[iev->proc](iev, imsg);
}

/* The parent hands us one end of a socketpair to a sibling. */
static void
proc_child_sibling(struct imsg *imsg)
{
	struct imsgev	*iev;
	int32_t		 peer;
	int		 fd;

	imsg_data_exact(imsg, &peer, sizeof(peer), __func__);
	if (peer <= PROC_PARENT || peer >= PROC_MAX || peer == (int32_t)pchild->proc)
		fatalx("%s: bad process %d", __func__, peer);
	if (penv.iev[peer] != NULL)
		fatalx("%s: second connection to %s", __func__,
		    proc_names[peer]);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: no descriptor", __func__);
	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		fatal(NULL);
	imsgev_init(iev, fd, peer, proc_child_dispatch, NULL);
	penv.iev[peer] = iev;
}

/* Strings in a configuration from the parent must be terminated. */
static void
proc_conf_check(const struct nbd_config *conf)
{
	if (memchr(conf->mgmt_url, '\0', sizeof(conf->mgmt_url)) == NULL ||
	    memchr(conf->setup_key, '\0', sizeof(conf->setup_key)) == NULL ||
	    memchr(conf->setup_key_file, '\0',
	    sizeof(conf->setup_key_file)) == NULL ||
	    memchr(conf->ifname, '\0', sizeof(conf->ifname)) == NULL ||
	    memchr(conf->wg_userspace, '\0',
	    sizeof(conf->wg_userspace)) == NULL ||
	    memchr(conf->state_dir, '\0', sizeof(conf->state_dir)) == NULL)
		fatalx("%s: unterminated string in configuration", __func__);
}
