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
 * The control process serves netbirdctl on the socket the parent bound,
 * so that the root parent never reads what local clients send.  Each
 * request is checked here, then relayed to the process that owns the
 * answer, tagged with the connection id in the imsg peerid; the replies
 * come back with that id and go to that client.  A client has one
 * request in flight at a time: until its reply stream ends with
 * IMSG_CTL_END or IMSG_CTL_RESULT and has been written out, nothing
 * more is read from it, so that a client that asks and never reads
 * holds at most one reply in our memory.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"

#define CTL_MAX_CONNS	32	/* clients served at once */
#define CTL_PAUSE_SEC	1	/* accept pause when full or out of fds */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct imsgbuf		 ibuf;
	struct event		 ev;
	uint32_t		 id;		/* peerid of its requests */
	int			 events;	/* on ev (persistent) */
	int			 pending;	/* a request awaits a reply */
	enum nbd_proc		 owner;		/* who answers it */
	int			 closing;	/* close once written out */
};

static void	control_dispatch_parent(struct imsgev *, struct imsg *);
static void	control_relay(struct imsgev *, struct imsg *);
static void	control_socket(struct imsg *);
static void	control_accept(int, short, void *);
static void	control_pause(void);
static void	control_resume(int, short, void *);
static uint32_t	control_newid(void);
static struct ctl_conn *control_find(uint32_t);
static void	control_conn_io(int, short, void *);
static int	control_conn_dispatch(struct ctl_conn *);
static void	control_request(struct ctl_conn *, struct imsg *);
static void	control_result(struct ctl_conn *, int, const char *);
static void	control_conn_event(struct ctl_conn *);
static void	control_close(struct ctl_conn *);

static const struct proc_child control_proc = {
	.proc = PROC_CONTROL,
	.dispatch = {
		[PROC_PARENT] = control_dispatch_parent,
		[PROC_ICE] = control_relay,
		[PROC_METRICS] = control_relay,
	},
};

/* What a client may ask, with the exact payload size, and who answers. */
static const struct {
	uint32_t	type;
	size_t		len;
	enum nbd_proc	owner;
} ctl_requests[] = {
	{ IMSG_CTL_SHOW_STATUS,	0,				PROC_PARENT },
	{ IMSG_CTL_SHOW_PEERS,	0,				PROC_ICE },
	{ IMSG_CTL_LOG_VERBOSE,	sizeof(struct ctl_verbose),	PROC_PARENT },
	{ IMSG_CTL_RELOAD,	0,				PROC_PARENT },
	{ IMSG_CTL_SHOW_RELAYS,	0,				PROC_ICE },
	{ IMSG_CTL_SHOW_METRICS, sizeof(struct ctl_metrics_req), PROC_METRICS },
	{ IMSG_CTL_SHOW_CONFIG,	0,				PROC_PARENT },
	{ IMSG_CTL_SHOW_NETMAP,	0,				PROC_PARENT },
};

/*
 * What an owner may answer with; PROC_MAX: any owner.  A len of 0 with
 * variable set: 1 to that many bytes.
 */
static const struct {
	uint32_t	type;
	size_t		len;
	enum nbd_proc	from;
	int		variable;
} ctl_replies[] = {
	{ IMSG_CTL_SHOW_STATUS,	sizeof(struct ctl_status),	PROC_PARENT, 0 },
	{ IMSG_CTL_SHOW_PEER,	sizeof(struct ctl_peer),	PROC_ICE, 0 },
	{ IMSG_CTL_SHOW_RELAY,	sizeof(struct ctl_relay),	PROC_ICE, 0 },
	{ IMSG_CTL_TEXT,	CTL_TEXT_MAX,			PROC_MAX, 1 },
	{ IMSG_CTL_RESULT,	sizeof(struct ctl_result),	PROC_MAX, 0 },
	{ IMSG_CTL_END,		0,				PROC_MAX, 0 },
};

static TAILQ_HEAD(, ctl_conn) ctl_conns = TAILQ_HEAD_INITIALIZER(ctl_conns);
static struct event	 ev_accept, ev_pause;
static int		 ctl_fd = -1;
static unsigned int	 ctl_nconns;
static uint32_t		 ctl_lastid;
static int		 ctl_paused;	/* logged; until an accept succeeds */

__dead void
control_main(int debug, int verbose)
{
	proc_child_run(&control_proc, debug, verbose);
}

int
control_request_owner(uint32_t type, const void *data, size_t len,
    char *why, size_t whylen)
{
	struct ctl_verbose	v;
	size_t			i;

	for (i = 0; i < nitems(ctl_requests); i++)
		if (ctl_requests[i].type == type)
			break;
	if (i == nitems(ctl_requests)) {
		snprintf(why, whylen, "not a request: %s (%u)",
		    imsg_type_name(type), type);
		return -1;
	}
	if (len != ctl_requests[i].len) {
		snprintf(why, whylen, "%s with %zu bytes, want %zu",
		    imsg_type_name(type), len, ctl_requests[i].len);
		return -1;
	}
	if (type == IMSG_CTL_LOG_VERBOSE) {
		memcpy(&v, data, sizeof(v));
		if (v.level < NBD_LOG_WARNING || v.level > NBD_LOG_DEBUG) {
			snprintf(why, whylen, "log level %d out of range",
			    v.level);
			return -1;
		}
	}
	return ctl_requests[i].owner;
}

int
control_reply_valid(uint32_t type, enum nbd_proc from, size_t len)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_replies); i++) {
		if (ctl_replies[i].type != type)
			continue;
		if (ctl_replies[i].from != PROC_MAX &&
		    ctl_replies[i].from != from)
			return 0;
		if (ctl_replies[i].variable)
			return len > 0 && len <= ctl_replies[i].len;
		return len == ctl_replies[i].len;
	}
	return 0;
}

static void
control_dispatch_parent(struct imsgev *iev, struct imsg *imsg)
{
	if (imsg_get_type(imsg) == IMSG_SOCKET_CONTROL)
		control_socket(imsg);
	else
		control_relay(iev, imsg);
}

/*
 * A reply from an owner.  The owners are part of the daemon: a reply
 * that is malformed, or answers nothing that was asked of that process,
 * is a bug or a compromise, and fatal.
 */
static void
control_relay(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_conn	*c;
	uint32_t	 type = imsg_get_type(imsg), id = imsg_get_id(imsg);
	size_t		 len = imsg_get_len(imsg);

	if (!control_reply_valid(type, iev->proc, len))
		fatalx("%s: %s from %s with %zu bytes", __func__,
		    imsg_type_name(type), proc_names[iev->proc], len);
	if ((c = control_find(id)) == NULL) {
		log_debug("%s: %s for client %u, which has gone", __func__,
		    imsg_type_name(type), id);
		return;
	}
	if (!c->pending || c->owner != iev->proc)
		fatalx("%s: %s from %s for client %u, which did not ask it",
		    __func__, imsg_type_name(type), proc_names[iev->proc], id);
	if (imsg_compose(&c->ibuf, type, 0, 0, -1, imsg->data, len) == -1) {
		log_warn("%s: client %u", __func__, id);
		control_close(c);
		return;
	}
	if (type == IMSG_CTL_END || type == IMSG_CTL_RESULT) {
		c->pending = 0;
		if (control_conn_dispatch(c) == -1) {
			control_close(c);
			return;
		}
	}
	control_conn_event(c);
}

/* The listening socket, bound by the parent: mode 0600, root's. */
static void
control_socket(struct imsg *imsg)
{
	int	fd;

	imsg_empty(imsg, __func__);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("%s: no descriptor", __func__);
	if (ctl_fd != -1)
		fatalx("%s: second control socket", __func__);
	ctl_fd = fd;
	event_set(&ev_accept, ctl_fd, EV_READ | EV_PERSIST, control_accept,
	    NULL);
	if (event_add(&ev_accept, NULL) == -1)
		fatal("%s: event_add", __func__);
	evtimer_set(&ev_pause, control_resume, NULL);
	log_debug("serving the control socket");
}

static void
control_accept(int fd, short event, void *arg)
{
	struct ctl_conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 cfd;

	(void)event;
	(void)arg;
	if (ctl_nconns >= CTL_MAX_CONNS) {
		if (!ctl_paused)
			log_warnx("%u clients: not accepting for %d s",
			    ctl_nconns, CTL_PAUSE_SEC);
		control_pause();
		return;
	}
	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE) {
			if (!ctl_paused)
				log_warn("%s: not accepting for %d s",
				    __func__, CTL_PAUSE_SEC);
			control_pause();
		} else if (errno != EINTR && errno != EAGAIN &&
		    errno != ECONNABORTED)
			log_warn("%s", __func__);
		return;
	}
	if (ctl_paused)
		log_info("accepting clients again");
	ctl_paused = 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		close(cfd);
		return;
	}
	if (cred.uid != 0) {
		log_warnx("%s: refused pid %ld, uid %lu: not root", __func__,
		    (long)cred.pid, (unsigned long)cred.uid);
		close(cfd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    imsgbuf_init(&c->ibuf, cfd) == -1) {
		log_warn("%s", __func__);
		free(c);
		close(cfd);
		return;
	}
	/*
	 * The buffer's limit holds for what we send too: room for the
	 * largest reply, a whole IMSG_CTL_TEXT chunk.  A request has its
	 * type's exact size, far below (control_request_owner()).
	 */
	if (imsgbuf_set_maxsize(&c->ibuf, MAXIMUM(NBD_CTL_MAX_IMSGSIZE,
	    IMSG_HEADER_SIZE + CTL_TEXT_MAX)) == -1)
		fatal("%s: imsgbuf_set_maxsize", __func__);
	c->id = control_newid();
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
	log_debug("client %u: pid %ld", c->id, (long)cred.pid);
	control_conn_event(c);
}

/* Logged once a saturation: again after the next accept that succeeds. */
static void
control_pause(void)
{
	struct timeval	tv = { CTL_PAUSE_SEC, 0 };

	ctl_paused = 1;
	event_del(&ev_accept);
	evtimer_add(&ev_pause, &tv);
}

static void
control_resume(int fd, short event, void *arg)
{
	(void)fd;
	(void)event;
	(void)arg;
	if (event_add(&ev_accept, NULL) == -1)
		fatal("%s: event_add", __func__);
}

/* Ids are not reused while a reply to an old one may be under way. */
static uint32_t
control_newid(void)
{
	do {
		if (++ctl_lastid == 0)
			ctl_lastid = 1;
	} while (control_find(ctl_lastid) != NULL);
	return ctl_lastid;
}

static struct ctl_conn *
control_find(uint32_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->id == id)
			return c;
	return NULL;
}

static void
control_conn_io(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;

	(void)fd;
	if (event & EV_WRITE) {
		if (imsgbuf_write(&c->ibuf) == -1) {
			if (errno != EPIPE)
				log_warn("client %u: write", c->id);
			control_close(c);
			return;
		}
	}
	if (event & EV_READ) {
		switch (imsgbuf_read(&c->ibuf)) {
		case -1:
			log_warn("client %u: read", c->id);
			control_close(c);
			return;
		case 0:
			control_close(c);
			return;
		}
	}
	/* Requests read before, once the last reply is written out. */
	if (control_conn_dispatch(c) == -1) {
		control_close(c);
		return;
	}
	control_conn_event(c);
}

/*
 * Take requests until one is in flight or a reply waits to be written.
 * -1: drop the client.
 */
static int
control_conn_dispatch(struct ctl_conn *c)
{
	struct imsg	imsg;
	ssize_t		n;

	while (!c->pending && !c->closing &&
	    imsgbuf_queuelen(&c->ibuf) == 0) {
		if ((n = imsgbuf_get(&c->ibuf, &imsg)) == -1) {
			log_warnx("client %u: malformed message", c->id);
			return -1;
		}
		if (n == 0)
			break;
		control_request(c, &imsg);
		imsg_free(&imsg);
	}
	return 0;
}

/*
 * A bad request gets one warning and CTL_RES_BADREQ, and the connection
 * is closed once that is written: a client that gets the protocol wrong
 * is not asked for more.
 */
static void
control_request(struct ctl_conn *c, struct imsg *imsg)
{
	char		 why[CTL_MSG_LEN];
	struct imsgev	*iev;
	uint32_t	 type = imsg_get_type(imsg);
	size_t		 len = imsg_get_len(imsg);
	int		 owner;

	if ((owner = control_request_owner(type, imsg->data, len, why,
	    sizeof(why))) == -1) {
		log_warnx("client %u: bad request: %s", c->id, why);
		control_result(c, CTL_RES_BADREQ, why);
		c->closing = 1;
		return;
	}
	if ((iev = penv.iev[owner]) == NULL) {
		snprintf(why, sizeof(why), "%s is not running",
		    proc_names[owner]);
		control_result(c, CTL_RES_FAILED, why);
		return;
	}
	log_debug("client %u: %s to %s", c->id, imsg_type_name(type),
	    proc_names[owner]);
	if (imsgev_compose(iev, type, c->id, 0, -1, imsg->data, len) == -1)
		fatal("%s: imsgev_compose", __func__);
	c->pending = 1;
	c->owner = owner;
}

static void
control_result(struct ctl_conn *c, int code, const char *msg)
{
	struct ctl_result	res;

	memset(&res, 0, sizeof(res));
	res.code = code;
	strlcpy(res.msg, msg, sizeof(res.msg));
	if (imsg_compose(&c->ibuf, IMSG_CTL_RESULT, 0, 0, -1, &res,
	    sizeof(res)) == -1) {
		log_warn("client %u: result", c->id);
		c->closing = 1;
	}
}

/*
 * Read while no request is in flight and no reply is queued, write
 * while replies are queued.  A closing client with nothing left to
 * write is closed here.
 */
static void
control_conn_event(struct ctl_conn *c)
{
	int	events = 0;

	if (!c->pending && !c->closing && imsgbuf_queuelen(&c->ibuf) == 0)
		events |= EV_READ;
	if (imsgbuf_queuelen(&c->ibuf) > 0)
		events |= EV_WRITE;
	if (events == c->events)
		return;
	if (c->events != 0)
		event_del(&c->ev);
	c->events = events;
	if (events == 0) {
		if (c->closing)
			control_close(c);
		return;
	}
	event_set(&c->ev, c->ibuf.fd, events | EV_PERSIST, control_conn_io,
	    c);
	if (event_add(&c->ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

static void
control_close(struct ctl_conn *c)
{
	log_debug("client %u: closed", c->id);
	if (c->events != 0)
		event_del(&c->ev);
	TAILQ_REMOVE(&ctl_conns, c, entry);
	ctl_nconns--;
	imsgbuf_clear(&c->ibuf);
	close(c->ibuf.fd);
	free(c);
}
