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
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_dump.h"
#include "hostnet.h"
#include "key.h"
#include "log.h"
#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

extern char	**environ;

static __dead void usage(void);
static __dead void child_main(const char *, int, int);
static void	parent_start(size_t, int, int);
static void	parent_connect_siblings(void);
static void	parent_phase(const char *, int64_t);
static void	parent_sync_done(const struct nbd_sync_done *);
static void	parent_metric_self(void);
static void	parent_rss(int, short, void *);
static void	parent_send_config(enum nbd_proc);
static void	parent_signal(int, short, void *);
static void	parent_reap(void);
static void	parent_dispatch(int, short, void *);
static void	parent_dispatch_mgmt(struct imsgev *, struct imsg *);
static void	parent_dispatch_signal(struct imsgev *, struct imsg *);
static void	parent_dispatch_ice(struct imsgev *, struct imsg *);
static void	parent_dispatch_control(struct imsgev *, struct imsg *);
static void	parent_mgmt_config(void);
static void	parent_raw_socket(void);
static void	parent_host_addrs(void);
static void	parent_show_status(uint32_t);
static void	parent_log_verbose(const struct ctl_verbose *);
static int	parent_reload(char *, size_t);
static void	parent_result(uint32_t, int, const char *);
static __dead void parent_shutdown(int);
static void	parent_cleanup(void);
static int	chroot_dir_check(void);
static int	control_listen(const char *);
static int	metrics_listen(const struct sockaddr_storage *);

struct child {
	pid_t		pid;
	struct imsgev	iev;
};

/* Socketpairs between children, created by the parent at start. */
static const struct {
	enum nbd_proc	a, b;
} sibling_pairs[] = {
	{ PROC_SIGNAL,	PROC_ICE },	/* offers, answers, candidates */
	{ PROC_ICE,	PROC_METRICS },	/* connection stage timings */
	{ PROC_MGMT,	PROC_METRICS },	/* sync and login timings */
	{ PROC_CONTROL,	PROC_ICE },	/* show peers, show relays */
	{ PROC_CONTROL,	PROC_METRICS },	/* show metrics */
	{ PROC_MGMT,	PROC_DNS },	/* names of management, signal */
	{ PROC_SIGNAL,	PROC_DNS },
	{ PROC_ICE,	PROC_DNS },	/* STUN, TURN and relay servers */
	{ PROC_METRICS,	PROC_DNS },	/* the push server */
};

static struct child	 children[PROC_MAX];
static struct nbd_config conf;
static const char	*conffile = NBD_CONFFILE;
static const char	*sockpath = NBD_SOCKET;
static int		 base_verbose;
static int		 shutting_down;
static time_t		 started;
static pid_t		 parent_pid;
static struct wg_iface	*wg;
static struct nbd_mgmt_state	 mgmt_state;	/* as mgmt last said */
static struct nbd_signal_state	 signal_state;	/* as signal last said */
static struct nbd_netbird_config nbconf;	/* from management */
static struct nbd_metric_sync	 sync_phases;	/* of the SyncResponse now */
static struct event		 rss_ev;

#define RSS_PERIOD	15	/* seconds between memory samples */

static __dead void
usage(void)
{
	fprintf(stderr, "usage: netbirdd [-dnv] [-D macro=value] [-f file] "
	    "[-s socket]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*title = NULL;
	size_t		 argv0len = strlen(argv[0]);
	int		 ch, debug = 0, noaction = 0, verbose = 0;

	setproctitle_init(argc, argv, environ);
	log_init(1, LOG_DAEMON);

	while ((ch = getopt(argc, argv, "dD:f:nP:s:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'P':
			title = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (sodium_init() == -1)
		errx(1, "sodium_init failed");
	if (title != NULL)
		child_main(title, debug, verbose);

	config_defaults(&conf);
	if (parse_config(conffile, &conf) == -1)
		exit(1);
	if (noaction) {
		if (verbose)
			print_config(&conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");

	base_verbose = verbose;
	log_setverbose(conf.log_level + base_verbose);
	parent_start(argv0len, debug, verbose);
	event_dispatch();
	parent_shutdown(0);
}

/* A re-executed child: run the process named by -P. */
static __dead void
child_main(const char *title, int debug, int verbose)
{
	static void (*const mains[PROC_MAX])(int, int) = {
		[PROC_MGMT] =		mgmt_main,
		[PROC_SIGNAL] =		signal_main,
		[PROC_ICE] =		ice_main,
		[PROC_METRICS] =	metrics_main,
		[PROC_CONTROL] =	control_main,
		[PROC_DNS] =		dns_main,
	};
	int	p;

	for (p = PROC_PARENT + 1; p < PROC_MAX; p++)
		if (strcmp(title, proc_names[p]) == 0)
			mains[p](debug, verbose);
	errx(1, "unknown process %s", title);
}

static void
parent_start(size_t argv0len, int debug, int verbose)
{
	static struct event	ev_sig[5];
	static const int	sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD,
				    SIGPIPE };
	struct ctl_verbose	v;
	int			ctlfd, mfd, fds[2];
	size_t			i;
	int			p;

	if (keys_load(conf.state_dir) == -1 || chroot_dir_check() == -1 ||
	    (ctlfd = control_listen(sockpath)) == -1 ||
	    (mfd = metrics_listen(&conf.metrics_listen)) == -2)
		exit(1);

	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");
	log_init(debug, LOG_DAEMON);
	log_procinit(proc_names[PROC_PARENT]);
	parent_pid = getpid();
	if (atexit(parent_cleanup) != 0)
		fatal("atexit");
	/* After daemon(): a userspace WireGuard program is our child. */
	if (wg_open(&conf, keys_private(), &wg) == -1)
		exit(1);
	/*
	 * A title shorter than our argv[0] would show a dot after it
	 * (libbsd marks the old end): pad it with spaces.
	 */
	setproctitle("%-*s", (int)MINIMUM(argv0len, 128) -
	    (int)strlen(getprogname()) - 2, proc_names[PROC_PARENT]);
	started = time(NULL);
	if (getpwnam(NBD_USER) == NULL)
		log_warnx("user %s does not exist (make install creates it): "
		    "children run as %s", NBD_USER, NBD_USER_FALLBACK);

	event_init();
	for (i = 0; i < nitems(sigs); i++) {
		signal_set(&ev_sig[i], sigs[i], parent_signal, NULL);
		signal_add(&ev_sig[i], NULL);
	}

	for (p = PROC_PARENT + 1; p < PROC_MAX; p++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, fds) == -1)
			fatal("socketpair");
		children[p].pid = proc_start(p, fds[1], debug, verbose);
		imsgev_init(&children[p].iev, fds[0], p, parent_dispatch,
		    NULL);
	}
	parent_connect_siblings();
	imsgev_compose(&children[PROC_CONTROL].iev, IMSG_SOCKET_CONTROL, 0, 0,
	    ctlfd, NULL, 0);
	if (mfd != -1)
		imsgev_compose(&children[PROC_METRICS].iev,
		    IMSG_SOCKET_METRICS, 0, 0, mfd, NULL, 0);
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++)
		parent_send_config(p);
	parent_metric_self();
	evtimer_set(&rss_ev, parent_rss, NULL);
	parent_rss(-1, 0, NULL);
	parent_raw_socket();
	parent_host_addrs();
	/* The children started with -v only: give them the configured level. */
	if (conf.log_level != NBD_LOG_INFO) {
		v.level = conf.log_level;
		parent_log_verbose(&v);
	}
	log_info("startup: netbirdd %s, management %s, interface %s "
	    "(%s, port %u)", NBD_VERSION, conf.mgmt_url, wg_ifname(wg),
	    wg_backend_name(wg), wg_port(wg));
}

static void
parent_connect_siblings(void)
{
	size_t	i;
	int32_t	a, b;
	int	fds[2];

	for (i = 0; i < nitems(sibling_pairs); i++) {
		a = sibling_pairs[i].a;
		b = sibling_pairs[i].b;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0, fds) == -1)
			fatal("socketpair");
		if (imsgev_compose(&children[a].iev, IMSG_SOCKET_CONN, 0, 0,
		    fds[0], &b, sizeof(b)) == -1 ||
		    imsgev_compose(&children[b].iev, IMSG_SOCKET_CONN, 0, 0,
		    fds[1], &a, sizeof(a)) == -1)
			fatal("%s: imsg_compose", __func__);
	}
}

/* Each child gets the configuration; only mgmt gets the setup key. */
static void
parent_send_config(enum nbd_proc p)
{
	struct nbd_config	c = conf;
	struct nbd_key		k;

	if (p != PROC_MGMT)
		explicit_bzero(c.setup_key, sizeof(c.setup_key));
	memcpy(k.key, keys_public(), sizeof(k.key));
	if (imsgev_compose(&children[p].iev, IMSG_RECONF_CONF, 0, 0, -1,
	    &c, sizeof(c)) == -1 ||
	    imsgev_compose(&children[p].iev, IMSG_KEY_PUBLIC, 0, 0, -1,
	    &k, sizeof(k)) == -1 ||
	    imsgev_compose(&children[p].iev, IMSG_RECONF_DONE, 0, 0, -1,
	    NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
	explicit_bzero(&c, sizeof(c));
}

static void
parent_signal(int sig, short event, void *arg)
{
	char	msg[CTL_MSG_LEN];

	(void)event;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %s, shutting down",
		    sigabbrev_np(sig));
		parent_shutdown(0);
	case SIGHUP:
		if (parent_reload(msg, sizeof(msg)) == -1)
			log_warnx("reload failed: %s", msg);
		break;
	case SIGCHLD:
		parent_reap();
		break;
	default:
		break;
	}
}

static const char *
child_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "terminated by signal SIG%s (%s)",
		    sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?",
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "stopped with status %d", status);
	return buf;
}

/* Any child that ends on its own takes the daemon down with it. */
static void
parent_reap(void)
{
	char	buf[128];
	pid_t	pid;
	int	p, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (wg_child_exited(wg, pid) && !shutting_down)
			log_warnx("lost the WireGuard program: %s",
			    child_status(status, buf, sizeof(buf)));
		for (p = PROC_PARENT + 1; p < PROC_MAX; p++) {
			if (children[p].pid != pid)
				continue;
			children[p].pid = 0;
			if (!shutting_down)
				log_warnx("lost child: %s %s", proc_names[p],
				    child_status(status, buf, sizeof(buf)));
		}
	}
	if (!shutting_down)
		parent_shutdown(1);
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;
	struct imsg	 imsg;
	ssize_t		 n;

	(void)fd;
	if (imsgev_dispatch_io(iev, event) == -1) {
		log_debug("%s closed its connection", proc_names[iev->proc]);
		parent_shutdown(1);
	}
	while ((n = imsgbuf_get(&iev->ibuf, &imsg)) > 0) {
		if (log_getverbose() >= 2)
			log_debug("imsg %s from %s",
			    imsg_type_name(imsg.hdr.type),
			    proc_names[iev->proc]);
		switch (iev->proc) {
		case PROC_MGMT:
			parent_dispatch_mgmt(iev, &imsg);
			break;
		case PROC_SIGNAL:
			parent_dispatch_signal(iev, &imsg);
			break;
		case PROC_ICE:
			parent_dispatch_ice(iev, &imsg);
			break;
		case PROC_CONTROL:
			parent_dispatch_control(iev, &imsg);
			break;
		default:
			fatalx("%s: unexpected %s from %s", __func__,
			    imsg_type_name(imsg.hdr.type),
			    proc_names[iev->proc]);
		}
		imsg_free(&imsg);
	}
	if (n == -1)
		fatal("%s: imsgbuf_get from %s", __func__,
		    proc_names[iev->proc]);
	imsgev_add(iev);
}

/* Everything mgmt says is checked before it is kept or applied. */
static void
parent_dispatch_mgmt(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_netmap_begin	b;
	struct nbd_netmap_peer	p;
	struct nbd_netmap_end	e;
	struct nbd_mgmt_state	s;
	struct nbd_sync_done	d;
	int64_t			t;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_SHARED_REQ:
		keys_shared_answer(iev, imsg);
		break;
	case IMSG_MGMT_STATE:
		imsg_data_exact(imsg, &s, sizeof(s), __func__);
		if (s.state < CTL_MGMT_IDLE ||
		    s.state > CTL_MGMT_DISCONNECTED ||
		    memchr(s.error, '\0', sizeof(s.error)) == NULL)
			fatalx("%s: bad management state", __func__);
		mgmt_state = s;
		break;
	case IMSG_MGMT_CONFIG:
		imsg_data_exact(imsg, &nbconf, sizeof(nbconf), __func__);
		t = clock_ns(CLOCK_MONOTONIC);
		parent_mgmt_config();
		parent_phase("netbird_config", t);
		break;
	case IMSG_MGMT_NETMAP_BEGIN:
		imsg_data_exact(imsg, &b, sizeof(b), __func__);
		netmap_begin(&b);
		break;
	case IMSG_MGMT_NETMAP_PEER:
		imsg_data_exact(imsg, &p, sizeof(p), __func__);
		netmap_peer(&p);
		break;
	case IMSG_MGMT_NETMAP_END:
		imsg_data_exact(imsg, &e, sizeof(e), __func__);
		t = clock_ns(CLOCK_MONOTONIC);
		parent_phase(netmap_end(&e, wg, &children[PROC_ICE].iev,
		    &children[PROC_SIGNAL].iev), t);
		break;
	case IMSG_MGMT_SYNC_DONE:
		imsg_data_exact(imsg, &d, sizeof(d), __func__);
		parent_sync_done(&d);
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/* A phase of the SyncResponse being applied (protocol.md 7.2). */
static void
parent_phase(const char *name, int64_t start)
{
	struct nbd_metric_sync	*m = &sync_phases;

	if (name == NULL || m->nphases >= nitems(m->phase))
		return;
	strlcpy(m->phase[m->nphases].name, name,
	    sizeof(m->phase[m->nphases].name));
	m->phase[m->nphases++].duration = clock_ns(CLOCK_MONOTONIC) -
	    start;
}

/*
 * mgmt has sent all of one SyncResponse, and it is applied: the time
 * since it arrived goes to metrics.  A received time of 0 ends what a
 * LoginResponse carried, which is not a sync.
 */
static void
parent_sync_done(const struct nbd_sync_done *d)
{
	int64_t	now = clock_ns(CLOCK_MONOTONIC);

	if (d->received < 0 || d->received > now || d->decoded < d->received ||
	    d->decoded > now)
		fatalx("%s: times out of order", __func__);
	if (d->received != 0) {
		sync_phases.when = clock_ns(CLOCK_REALTIME);
		sync_phases.duration = now - d->received;
		imsgev_compose(&children[PROC_METRICS].iev, IMSG_METRIC_SYNC,
		    0, 0, -1, &sync_phases, sizeof(sync_phases));
	}
	memset(&sync_phases, 0, sizeof(sync_phases));
}

/* What the tags of the samples need; again after a reload. */
static void
parent_metric_self(void)
{
	struct nbd_metric_self	m;

	memset(&m, 0, sizeof(m));
	if (key_to_base64(keys_public(), m.pubkey, sizeof(m.pubkey)) == -1)
		fatalx("%s: key_to_base64", __func__);
	strlcpy(m.mgmt_url, conf.mgmt_url, sizeof(m.mgmt_url));
	strlcpy(m.version, NBD_NB_VERSION, sizeof(m.version));
	imsgev_compose(&children[PROC_METRICS].iev, IMSG_METRIC_SELF, 0, 0, -1,
	    &m, sizeof(m));
}

/* Resident memory of every process, from /proc, for the gauges. */
static void
parent_rss(int fd, short ev, void *arg)
{
	struct nbd_metric_rss	 m;
	struct timeval		 tv = { RSS_PERIOD, 0 };
	char			 path[64];
	FILE			*f;
	unsigned long		 size, resident;
	pid_t			 pid;
	int			 p;

	(void)fd;
	(void)ev;
	(void)arg;
	memset(&m, 0, sizeof(m));
	for (p = PROC_PARENT; p < PROC_MAX; p++) {
		pid = p == PROC_PARENT ? getpid() : children[p].pid;
		snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
		if (pid <= 0 || (f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%lu %lu", &size, &resident) == 2)
			m.rss[p] = (uint64_t)resident *
			    (uint64_t)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	imsgev_compose(&children[PROC_METRICS].iev, IMSG_METRIC_RSS, 0, 0, -1,
	    &m, sizeof(m));
	evtimer_add(&rss_ev, &tv);
}

static void
parent_dispatch_signal(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_signal_state	s;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_SHARED_REQ:
		keys_shared_answer(iev, imsg);
		break;
	case IMSG_SIGNAL_STATE:
		imsg_data_exact(imsg, &s, sizeof(s), __func__);
		if ((s.connected != 0 && s.connected != 1) ||
		    memchr(s.error, '\0', sizeof(s.error)) == NULL)
			fatalx("%s: bad signal state", __func__);
		signal_state = s;
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
parent_dispatch_ice(struct imsgev *iev, struct imsg *imsg)
{
	struct nbd_wg_endpoint		e;
	struct nbd_peers_connected	pc;

	switch (imsg_get_type(imsg)) {
	case IMSG_KEY_SHARED_REQ:
		keys_shared_answer(iev, imsg);
		break;
	case IMSG_PEERS_CONNECTED:
		imsg_data_exact(imsg, &pc, sizeof(pc), __func__);
		if (pc.n > NBD_PEERS_MAX)
			fatalx("%s: %u peers connected", __func__, pc.n);
		netmap_peers_connected(pc.n);
		break;
	case IMSG_WG_STATS_REQ:
		imsg_empty(imsg, __func__);
		netmap_wg_stats(wg, iev, imsg_get_id(imsg));
		break;
	case IMSG_WG_ENDPOINT:
		imsg_data_exact(imsg, &e, sizeof(e), __func__);
		netmap_wg_endpoint(wg, &e);
		break;
	case IMSG_HOST_ADDRS_REQ:
		imsg_empty(imsg, __func__);
		parent_host_addrs();
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

/*
 * Kept for status, and passed on to those who use it; TURN credentials
 * and the relay token only to ice, the one that needs them.
 */
static void
parent_mgmt_config(void)
{
	struct nbd_netbird_config	 c = nbconf;
	const char			*why;
	size_t				 i;

	if ((why = netbird_config_invalid(&nbconf)) != NULL)
		fatalx("%s: %s", __func__, why);
	for (i = 0; i < NBD_SERVERS_MAX; i++) {
		explicit_bzero(c.turn[i].user, sizeof(c.turn[i].user));
		explicit_bzero(c.turn[i].password, sizeof(c.turn[i].password));
	}
	explicit_bzero(c.relay_token_payload, sizeof(c.relay_token_payload));
	explicit_bzero(c.relay_token_signature,
	    sizeof(c.relay_token_signature));
	if (imsgev_compose(&children[PROC_ICE].iev, IMSG_MGMT_CONFIG, 0, 0,
	    -1, &nbconf, sizeof(nbconf)) == -1 ||
	    imsgev_compose(&children[PROC_SIGNAL].iev, IMSG_MGMT_CONFIG, 0, 0,
	    -1, &c, sizeof(c)) == -1 ||
	    imsgev_compose(&children[PROC_METRICS].iev, IMSG_MGMT_CONFIG, 0, 0,
	    -1, &c, sizeof(c)) == -1)
		fatal("%s: imsg_compose", __func__);
	explicit_bzero(&c, sizeof(c));
}

/*
 * ice's raw socket on the WireGuard port in use (it may have fallen
 * back from the configured one).  Without it there are no direct
 * paths, only relayed ones: said, not fatal.
 */
static void
parent_raw_socket(void)
{
	struct nbd_raw_socket	rs;
	int			fd;

	if ((fd = rawsock_open(AF_INET, wg_port(wg))) == -1) {
		log_warnx("no raw socket on UDP port %u: peers can be reached "
		    "through relays only", wg_port(wg));
		return;
	}
	memset(&rs, 0, sizeof(rs));
	rs.af = AF_INET;
	rs.port = wg_port(wg);
	if (imsgev_compose(&children[PROC_ICE].iev, IMSG_SOCKET_RAW, 0, 0, fd,
	    &rs, sizeof(rs)) == -1)
		fatal("%s: imsg_compose", __func__);
}

/* At start and whenever ice asks: an empty list if they cannot be read. */
static void
parent_host_addrs(void)
{
	struct nbd_host_addrs	ha;

	hostaddr_collect(wg_ifname(wg), netmap_address(), &ha);
	if (imsgev_compose(&children[PROC_ICE].iev, IMSG_HOST_ADDRS, 0, 0, -1,
	    &ha, sizeof(ha)) == -1)
		fatal("%s: imsg_compose", __func__);
}

static void
parent_dispatch_control(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_verbose	v;
	char			msg[CTL_MSG_LEN];
	uint32_t		id = imsg_get_id(imsg);

	switch (imsg_get_type(imsg)) {
	case IMSG_CTL_SHOW_STATUS:
		imsg_empty(imsg, __func__);
		parent_show_status(id);
		break;
	case IMSG_CTL_LOG_VERBOSE:
		imsg_data_exact(imsg, &v, sizeof(v), __func__);
		parent_log_verbose(&v);
		parent_result(id, CTL_RES_OK, "");
		break;
	case IMSG_CTL_SHOW_CONFIG:
		imsg_empty(imsg, __func__);
		ctl_send_config(iev, id, &conf);
		break;
	case IMSG_CTL_SHOW_NETMAP:
		imsg_empty(imsg, __func__);
		ctl_send_netmap(iev, id, netmap_current());
		break;
	case IMSG_CTL_RELOAD:
		imsg_empty(imsg, __func__);
		if (parent_reload(msg, sizeof(msg)) == -1)
			parent_result(id, CTL_RES_FAILED, msg);
		else
			parent_result(id, CTL_RES_OK, "");
		break;
	default:
		fatalx("%s: unexpected %s", __func__,
		    imsg_type_name(imsg_get_type(imsg)));
	}
}

static void
parent_show_status(uint32_t id)
{
	struct imsgev		*iev = &children[PROC_CONTROL].iev;
	struct ctl_status	 st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.version, NBD_VERSION, sizeof(st.version));
	strlcpy(st.mgmt_url, conf.mgmt_url, sizeof(st.mgmt_url));
	strlcpy(st.ifname, conf.ifname, sizeof(st.ifname));
	key_to_base64(keys_public(), st.pubkey, sizeof(st.pubkey));
	st.started = started;
	st.mgmt_state = mgmt_state.state;
	strlcpy(st.mgmt_error, mgmt_state.error, sizeof(st.mgmt_error));
	if (nbconf.signal_uri[0] != '\0' &&
	    (size_t)snprintf(st.signal_url, sizeof(st.signal_url), "%s://%s",
	    nbconf.signal_tls ? "https" : "http", nbconf.signal_uri) >=
	    sizeof(st.signal_url))
		st.signal_url[0] = '\0';
	st.signal_connected = signal_state.connected;
	strlcpy(st.signal_error, signal_state.error, sizeof(st.signal_error));
	st.signal_dropped = signal_state.dropped;
	st.signal_rejected = signal_state.rejected;
	/* Connected peers: ice's to say, from issue 4 on. */
	netmap_status(&st);
	st.wg_backend = wg_backend(wg);
	st.wg_port = wg_port(wg);
	st.mtu = conf.mtu;
	st.log_level = MINIMUM(log_getverbose(), NBD_LOG_DEBUG);
	imsgev_compose(iev, IMSG_CTL_SHOW_STATUS, id, 0, -1, &st, sizeof(st));
	imsgev_compose(iev, IMSG_CTL_END, id, 0, -1, NULL, 0);
}

/* Checked again here: the control child may be compromised. */
static void
parent_log_verbose(const struct ctl_verbose *v)
{
	int	p;

	if (v->level < NBD_LOG_WARNING || v->level > NBD_LOG_DEBUG)
		fatalx("%s: bad log level %d", __func__, v->level);
	log_setverbose(v->level + base_verbose);
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++)
		imsgev_compose(&children[p].iev, IMSG_CTL_LOG_VERBOSE, 0, 0,
		    -1, v, sizeof(*v));
	log_info("log level set to %s", v->level == NBD_LOG_DEBUG ? "debug" :
	    v->level == NBD_LOG_INFO ? "info" : "warning");
}

/*
 * Read the configuration again.  A file with errors changes nothing.
 * What only a restart can change keeps its old value, with a warning.
 */
static int
parent_reload(char *msg, size_t len)
{
	struct nbd_config	nconf;
	struct ctl_verbose	v;
	int			p;

	config_defaults(&nconf);
	if (parse_config(conffile, &nconf) == -1) {
		snprintf(msg, len, "%s; configuration unchanged",
		    config_error());
		explicit_bzero(&nconf, sizeof(nconf));
		return -1;
	}
	if (strcmp(nconf.ifname, conf.ifname) != 0 ||
	    nconf.wg_port != conf.wg_port ||
	    nconf.wg_backend != conf.wg_backend ||
	    strcmp(nconf.wg_userspace, conf.wg_userspace) != 0 ||
	    strcmp(nconf.state_dir, conf.state_dir) != 0)
		log_warnx("reload: interface, port, wireguard and state-dir "
		    "changes take effect after a restart");
	strlcpy(nconf.ifname, conf.ifname, sizeof(nconf.ifname));
	strlcpy(nconf.wg_userspace, conf.wg_userspace,
	    sizeof(nconf.wg_userspace));
	strlcpy(nconf.state_dir, conf.state_dir, sizeof(nconf.state_dir));
	nconf.wg_port = conf.wg_port;
	nconf.wg_backend = conf.wg_backend;

	explicit_bzero(&conf, sizeof(conf));
	conf = nconf;
	explicit_bzero(&nconf, sizeof(nconf));
	v.level = conf.log_level;
	parent_log_verbose(&v);
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++)
		parent_send_config(p);
	parent_metric_self();
	log_info("configuration reloaded");
	return 0;
}

static void
parent_result(uint32_t id, int code, const char *msg)
{
	struct ctl_result	res;

	memset(&res, 0, sizeof(res));
	res.code = code;
	strlcpy(res.msg, msg, sizeof(res.msg));
	imsgev_compose(&children[PROC_CONTROL].iev, IMSG_CTL_RESULT, id, 0,
	    -1, &res, sizeof(res));
}

/*
 * Stop every child (SIGTERM, then SIGKILL after 5 seconds), remove what
 * we created, and exit.  A child that died abnormally is named once.
 */
static __dead void
parent_shutdown(int code)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	char		 buf[128];
	pid_t		 pid;
	int		 p, status, tries, left;

	shutting_down = 1;
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++)
		if (children[p].pid > 0)
			kill(children[p].pid, SIGTERM);
	for (tries = 0; tries < 50; tries++) {
		left = 0;
		for (p = PROC_PARENT + 1; p < PROC_MAX; p++) {
			if (children[p].pid <= 0)
				continue;
			pid = waitpid(children[p].pid, &status, WNOHANG);
			if (pid == 0) {
				left++;
				continue;
			}
			if (pid > 0 && (!WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0)) {
				log_warnx("lost child: %s %s", proc_names[p],
				    child_status(status, buf, sizeof(buf)));
				code = 1;
			}
			children[p].pid = 0;
		}
		if (left == 0)
			break;
		nanosleep(&ts, NULL);
	}
	for (p = PROC_PARENT + 1; p < PROC_MAX; p++) {
		if (children[p].pid <= 0)
			continue;
		log_warnx("%s did not stop, killing it", proc_names[p]);
		kill(children[p].pid, SIGKILL);
		waitpid(children[p].pid, &status, 0);
	}
	log_info("terminating");
	exit(code);
}

/*
 * Remove what the parent made, on every exit of the parent, fatal() and
 * fatalx() included.  A child between fork and exec must not.
 */
static void
parent_cleanup(void)
{
	if (getpid() != parent_pid)
		return;
	if (wg != NULL)
		wg_close(wg);
	wg = NULL;
	unlink(sockpath);
}

/*
 * The children chroot into an empty directory that only root may
 * change.  Create it if needed and refuse one that is not safe.
 */
static int
chroot_dir_check(void)
{
	struct stat	st;
	char		parent[] = NBD_CHROOT;
	char		*slash;

	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	if ((mkdir(parent, 0755) == -1 && errno != EEXIST) ||
	    (mkdir(NBD_CHROOT, 0755) == -1 && errno != EEXIST)) {
		log_warn("mkdir %s", NBD_CHROOT);
		return -1;
	}
	if (lstat(NBD_CHROOT, &st) == -1) {
		log_warn("%s", NBD_CHROOT);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0) {
		log_warnx("%s: must be a directory owned by root and "
		    "writable only by root", NBD_CHROOT);
		return -1;
	}
	return 0;
}

/*
 * Bind the control socket, refusing to take over one that a running
 * daemon still answers on.  Only root may connect (mode 0600).
 */
/*
 * The Prometheus listener, when configured: bound here, served by the
 * metrics process.  -1: none configured; -2: it cannot be (logged).
 */
static int
metrics_listen(const struct sockaddr_storage *ss)
{
	char		host[NI_MAXHOST], port[NI_MAXSERV];
	socklen_t	len;
	int		fd, on = 1;

	if (ss->ss_family == AF_UNSPEC)
		return -1;
	len = ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("%s: socket", __func__);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("%s: setsockopt", __func__);
	if (bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, 16) == -1) {
		if (getnameinfo((const struct sockaddr *)ss, len, host,
		    sizeof(host), port, sizeof(port),
		    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
			strlcpy(host, "?", sizeof(host));
			strlcpy(port, "?", sizeof(port));
		}
		log_warn("metrics listen on %s port %s", host, port);
		close(fd);
		return -2;
	}
	return fd;
}

static int
control_listen(const char *path)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("%s: socket", __func__);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control socket %s is in use: is another netbirdd "
		    "running?", path);
		close(fd);
		return -1;
	}
	close(fd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("%s: socket", __func__);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("control socket %s", sun.sun_path);
		close(fd);
		return -1;
	}
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("control socket %s", sun.sun_path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, S_IRUSR | S_IWUSR) == -1 || listen(fd, 16) == -1) {
		log_warn("control socket %s", sun.sun_path);
		unlink(path);
		close(fd);
		return -1;
	}
	return fd;
}
