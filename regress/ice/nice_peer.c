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
 * libnice's NiceAgent, the independent ICE implementation the interop
 * test (run.sh) checks our agent against: RFC 5245 compatibility, full
 * mode, regular nomination (aggressive with -A), trickle, one UDP
 * component, host candidates on the address -a only, no STUN or TURN
 * server.  The same lines on
 * stdin and stdout as ice_peer, candidates in pion's format:
 *
 *   out  cred UFRAG PWD
 *   in   cred UFRAG PWD
 *   in   cand CANDIDATE
 *   out  cand CANDIDATE
 *   out  connected MS LTYPE LADDR RTYPE RADDR
 *   out  failed MS
 *   in   send TEXT        on the selected pair
 *   out  recv TEXT
 *   in   quit
 */

#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <nice/agent.h>

static void	 usage(void);
static void	 print_cand(const NiceCandidate *);
static const char *type_name(NiceCandidateType);
static void	 on_gathered(NiceAgent *, guint, gpointer);
static void	 on_state(NiceAgent *, guint, guint, guint, gpointer);
static void	 on_recv(NiceAgent *, guint, guint, guint, gchar *,
		    gpointer);
static gboolean	 on_stdin(GIOChannel *, GIOCondition, gpointer);
static void	 add_remote(const char *);

static NiceAgent	*agent;
static guint		 stream;
static GMainLoop	*loop;
static gint64		 started;
static int		 done;

static void
usage(void)
{
	fprintf(stderr, "usage: nice_peer [-A] -r controlling|controlled "
	    "-a address\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	NiceAddress	 local;
	GIOChannel	*in;
	const char	*role = NULL, *host = NULL;
	gchar		*ufrag = NULL, *pwd = NULL;
	int		 ch;
	NiceAgentOption	 opts = NICE_AGENT_OPTION_REGULAR_NOMINATION |
			    NICE_AGENT_OPTION_ICE_TRICKLE;

	while ((ch = getopt(argc, argv, "Aa:r:")) != -1) {
		switch (ch) {
		case 'A':
			opts &= ~NICE_AGENT_OPTION_REGULAR_NOMINATION;
			break;
		case 'a':
			host = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		default:
			usage();
		}
	}
	if (role == NULL || host == NULL ||
	    (strcmp(role, "controlling") != 0 &&
	    strcmp(role, "controlled") != 0))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	loop = g_main_loop_new(NULL, FALSE);
	agent = nice_agent_new_full(g_main_loop_get_context(loop),
	    NICE_COMPATIBILITY_RFC5245, opts);
	if (agent == NULL)
		errx(1, "nice_agent_new_full");
	g_object_set(agent, "controlling-mode",
	    strcmp(role, "controlling") == 0, "upnp", FALSE, "ice-tcp", FALSE,
	    NULL);
	nice_address_init(&local);
	if (!nice_address_set_from_string(&local, host))
		errx(1, "bad address %s", host);
	if (!nice_agent_add_local_address(agent, &local))
		errx(1, "nice_agent_add_local_address");
	g_signal_connect(agent, "candidate-gathering-done",
	    G_CALLBACK(on_gathered), NULL);
	g_signal_connect(agent, "component-state-changed",
	    G_CALLBACK(on_state), NULL);
	if ((stream = nice_agent_add_stream(agent, 1)) == 0)
		errx(1, "nice_agent_add_stream");
	nice_agent_attach_recv(agent, stream, 1, g_main_loop_get_context(loop),
	    on_recv, NULL);
	if (!nice_agent_get_local_credentials(agent, stream, &ufrag, &pwd))
		errx(1, "nice_agent_get_local_credentials");
	printf("cred %s %s\n", ufrag, pwd);
	g_free(ufrag);
	g_free(pwd);
	started = g_get_monotonic_time();
	if (!nice_agent_gather_candidates(agent, stream))
		errx(1, "nice_agent_gather_candidates");

	in = g_io_channel_unix_new(STDIN_FILENO);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
	g_main_loop_run(loop);
	g_io_channel_unref(in);
	g_object_unref(agent);
	g_main_loop_unref(loop);
	return 0;
}

static const char *
type_name(NiceCandidateType t)
{
	switch (t) {
	case NICE_CANDIDATE_TYPE_HOST:
		return "host";
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return "srflx";
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return "prflx";
	default:
		return "relay";
	}
}

/* pion's format: foundation component network priority address port. */
static void
print_cand(const NiceCandidate *c)
{
	char	a[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&c->addr, a);
	printf("cand %s %u udp %u %s %u typ %s\n", c->foundation,
	    c->component_id, c->priority, a, nice_address_get_port(&c->addr),
	    type_name(c->type));
}

static void
on_gathered(NiceAgent *ag, guint id, gpointer data)
{
	GSList	*l, *i;

	(void)data;
	l = nice_agent_get_local_candidates(ag, id, 1);
	for (i = l; i != NULL; i = i->next)
		if (((NiceCandidate *)i->data)->transport ==
		    NICE_CANDIDATE_TRANSPORT_UDP)
			print_cand(i->data);
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
}

static void
on_state(NiceAgent *ag, guint id, guint comp, guint state, gpointer data)
{
	NiceCandidate	*l, *r;
	char		 la[NICE_ADDRESS_STRING_LEN];
	char		 ra[NICE_ADDRESS_STRING_LEN];
	long long	 ms = (g_get_monotonic_time() - started) / 1000;

	(void)data;
	if (state == NICE_COMPONENT_STATE_FAILED) {
		printf("failed %lld\n", ms);
		return;
	}
	if (state != NICE_COMPONENT_STATE_READY || done)
		return;
	if (!nice_agent_get_selected_pair(ag, id, comp, &l, &r))
		return;
	done = 1;
	nice_address_to_string(&l->addr, la);
	nice_address_to_string(&r->addr, ra);
	printf("connected %lld %s %s:%u %s %s:%u\n", ms, type_name(l->type),
	    la, nice_address_get_port(&l->addr), type_name(r->type), ra,
	    nice_address_get_port(&r->addr));
}

static void
on_recv(NiceAgent *ag, guint id, guint comp, guint len, gchar *buf,
    gpointer data)
{
	(void)ag;
	(void)id;
	(void)comp;
	(void)data;
	printf("recv %.*s\n", (int)len, buf);
}

static void
add_remote(const char *s)
{
	NiceCandidate	*c;
	GSList		*l;
	char		 found[33], net[8], ip[64], typ[8], type[8];
	unsigned int	 comp, prio, port;

	if (sscanf(s, "%32s %u %7s %u %63s %u %7s %7s", found, &comp, net,
	    &prio, ip, &port, typ, type) != 8 || strcmp(typ, "typ") != 0) {
		warnx("bad candidate: %s", s);
		return;
	}
	if (strcmp(type, "host") == 0)
		c = nice_candidate_new(NICE_CANDIDATE_TYPE_HOST);
	else if (strcmp(type, "srflx") == 0)
		c = nice_candidate_new(NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE);
	else if (strcmp(type, "prflx") == 0)
		c = nice_candidate_new(NICE_CANDIDATE_TYPE_PEER_REFLEXIVE);
	else
		c = nice_candidate_new(NICE_CANDIDATE_TYPE_RELAYED);
	c->transport = NICE_CANDIDATE_TRANSPORT_UDP;
	c->stream_id = stream;
	c->component_id = comp;
	c->priority = prio;
	g_strlcpy(c->foundation, found, sizeof(c->foundation));
	if (!nice_address_set_from_string(&c->addr, ip)) {
		warnx("bad address in %s", s);
		nice_candidate_free(c);
		return;
	}
	nice_address_set_port(&c->addr, port);
	l = g_slist_append(NULL, c);
	if (nice_agent_set_remote_candidates(agent, stream, comp, l) < 1)
		warnx("candidate not taken: %s", s);
	g_slist_free_full(l, (GDestroyNotify)nice_candidate_free);
}

static gboolean
on_stdin(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	gchar	*line = NULL, *p;
	gsize	 len;

	(void)data;
	if ((cond & G_IO_IN) == 0 || g_io_channel_read_line(ch, &line, &len,
	    NULL, NULL) != G_IO_STATUS_NORMAL) {
		g_main_loop_quit(loop);
		return FALSE;
	}
	g_strchomp(line);
	if (strncmp(line, "cred ", 5) == 0) {
		if ((p = strchr(line + 5, ' ')) == NULL)
			errx(1, "cred: no password");
		*p++ = '\0';
		if (!nice_agent_set_remote_credentials(agent, stream, line + 5,
		    p))
			errx(1, "nice_agent_set_remote_credentials");
	} else if (strncmp(line, "cand ", 5) == 0)
		add_remote(line + 5);
	else if (strncmp(line, "send ", 5) == 0) {
		if (nice_agent_send(agent, stream, 1, strlen(line + 5),
		    line + 5) < 0)
			printf("error send\n");
	} else if (strcmp(line, "quit") == 0)
		g_main_loop_quit(loop);
	else
		warnx("unknown line: %s", line);
	g_free(line);
	return TRUE;
}
