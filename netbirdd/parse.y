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
 * netbirdd.conf(5): grammar and lexer.
 *
 * Every error is reported as one line "file:line: problem" and parsing
 * goes on at the next line, so that one run shows every bad line.  The
 * configuration is built in a private copy and handed to the caller only
 * when the whole file parsed without error.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"

#define TOKEN_MAX	8192	/* longest word, string or macro value */
#define INCLUDE_MAX	16	/* files open at once, the first one included */
#define SYM_MAX		1024	/* macros */
#define KEYFILE_READ	256	/* bytes read from a setup-key file */
#define UNGET_EXPANDED	0x100	/* pushed-back character came from a macro */
#define STR(x)		#x
#define XSTR(x)		STR(x)

/* What may be set only once. */
#define SEEN_MGMT	0x001
#define SEEN_SETUPKEY	0x002
#define SEEN_IFNAME	0x004
#define SEEN_PORT	0x008
#define SEEN_MTU	0x010
#define SEEN_WG		0x020
#define SEEN_STATEDIR	0x040
#define SEEN_LOGLEVEL	0x080
#define SEEN_METRICS	0x100
#define SEEN_MURL	0x200
#define SEEN_MCONFURL	0x400
#define SEEN_MINTERVAL	0x800
#define SEEN_MLISTEN	0x1000

struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	dev_t			 dev;
	ino_t			 ino;
	mode_t			 mode;
	int			 lineno;
	int			 eof_reached;
	int			*unget;
	size_t			 ungetlen;
	size_t			 ungetsize;
};
TAILQ_HEAD(files, file);

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 persist;	/* from -D: the file cannot override */
	char			*name;
	char			*val;
};
TAILQ_HEAD(syms, sym);

/* Strings handed to the grammar; all freed once their line is parsed. */
struct tokstr {
	SLIST_ENTRY(tokstr)	 entry;
	size_t			 size;
	char			 str[];
};
SLIST_HEAD(tokstrs, tokstr);

struct keyword {
	const char	*name;
	int		 token;
};

int		 yyparse(void);
int		 yylex(void);
static char	 first_error[256];
int		 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));

static int	 lgetc(void);
static void	 lungetc(int);
static void	 lexpand(const char *);
static int	 lexerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 findeol(void);
static int	 lex_quoted(char *, size_t);
static int	 lex_word(int, char *, size_t);
static int	 lex_macro(char *, size_t);
static int	 kw_cmp(const void *, const void *);
static int	 lookup(const char *);
static int	 is_word_char(int);
static int	 is_name_char(int);
static char	*tokstr_new(const char *);
static void	 tokstr_free_all(void);
static struct file *pushfile(const char *, int, const char **);
static void	 popfile(void);
static int	 include_file(const char *);
static const char *check_file(const struct stat *, int);
static int	 symset(const char *, const char *, int);
static const char *symget(const char *);
static void	 symclear(int);
static int	 macro_name_ok(const char *);
static int	 setting_once(unsigned int, const char *);
static int	 set_mgmt_url(const char *);
static int	 set_http_url(char *, size_t, const char *, const char *);
static int	 set_listen(const char *, long long);
static int	 set_setup_key(const char *);
static int	 set_setup_key_file(const char *);
static int	 setup_key_ok(const char *, char *, size_t);
static int	 set_ifname(const char *);
static int	 set_path(char *, size_t, const char *, const char *);
static int	 set_wireguard(int, const char *);
static int	 url_host_ok(const char *, size_t);
static const char *url_authority(const char *, const char *, size_t *,
		    char *, size_t);

static struct files	 files = TAILQ_HEAD_INITIALIZER(files);
static struct syms	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
static struct tokstrs	 tokstrs = SLIST_HEAD_INITIALIZER(tokstrs);
static struct file	*file, *topfile;
static struct nbd_config *conf;
static unsigned int	 seen;
static int		 errors;
static int		 lex_expanded;	/* the last character came from a macro */
static int		 last_token;
static char		 lexmsg[512];	/* why the lexer returned ERROR */

typedef struct {
	union {
		long long	 number;
		char		*string;
	} v;
	int			 lineno;
} YYSTYPE;

%}

%token	AUTO CONFIGURL FROMFILE INCLUDE INTERFACE INTERVAL KERNEL LEVEL LOG
%token	LISTEN LOGDEBUG LOGINFO ON URL
%token	LOGWARNING MANAGEMENT METRICS MTU NO PORT PUSH SETUPKEY STATEDIR
%token	USERSPACE WIREGUARD YES
%token	ERROR
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	backend loglevel pushmode

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'		{ yyerrok; }
		;

include		: INCLUDE STRING		{
			if (include_file($2) == -1)
				YYERROR;
		}
		;

varset		: STRING '=' STRING		{
			if (!macro_name_ok($1) || symset($1, $3, 0) == -1)
				YYERROR;
		}
		| STRING '=' NUMBER		{
			char	num[32];

			snprintf(num, sizeof(num), "%lld", $3);
			if (!macro_name_ok($1) || symset($1, num, 0) == -1)
				YYERROR;
		}
		;

main		: MANAGEMENT STRING		{
			if (set_mgmt_url($2) == -1)
				YYERROR;
		}
		| SETUPKEY STRING		{
			if (set_setup_key($2) == -1)
				YYERROR;
		}
		| SETUPKEY FROMFILE STRING	{
			if (set_setup_key_file($3) == -1)
				YYERROR;
		}
		| INTERFACE STRING		{
			if (set_ifname($2) == -1)
				YYERROR;
		}
		| PORT NUMBER			{
			if (!setting_once(SEEN_PORT, "port"))
				YYERROR;
			if ($2 < 1 || $2 > 65535) {
				yyerror("invalid port %lld", $2);
				YYERROR;
			}
			conf->wg_port = $2;
		}
		| MTU NUMBER			{
			if (!setting_once(SEEN_MTU, "mtu"))
				YYERROR;
			if ($2 < NBD_MTU_MIN || $2 > NBD_MTU_MAX) {
				yyerror("invalid mtu %lld", $2);
				YYERROR;
			}
			conf->mtu = $2;
		}
		| WIREGUARD backend		{
			if (set_wireguard($2, NULL) == -1)
				YYERROR;
		}
		| WIREGUARD backend STRING	{
			if (set_wireguard($2, $3) == -1)
				YYERROR;
		}
		| STATEDIR STRING		{
			if (!setting_once(SEEN_STATEDIR, "state-dir") ||
			    set_path(conf->state_dir, sizeof(conf->state_dir),
			    "state-dir", $2) == -1)
				YYERROR;
		}
		| LOG LEVEL loglevel		{
			if (!setting_once(SEEN_LOGLEVEL, "log level"))
				YYERROR;
			conf->log_level = $3;
		}
		| METRICS PUSH pushmode		{
			if (!setting_once(SEEN_METRICS, "metrics push"))
				YYERROR;
			conf->metrics_push = $3;
		}
		| METRICS URL STRING		{
			if (!setting_once(SEEN_MURL, "metrics url") ||
			    set_http_url(conf->metrics_url,
			    sizeof(conf->metrics_url), "metrics url", $3) == -1)
				YYERROR;
		}
		| METRICS CONFIGURL STRING	{
			if (!setting_once(SEEN_MCONFURL, "metrics config-url") ||
			    set_http_url(conf->metrics_config_url,
			    sizeof(conf->metrics_config_url),
			    "metrics config-url", $3) == -1)
				YYERROR;
		}
		| METRICS INTERVAL NUMBER	{
			if (!setting_once(SEEN_MINTERVAL, "metrics interval"))
				YYERROR;
			if ($3 < NBD_METRICS_INTERVAL_MIN ||
			    $3 > NBD_METRICS_INTERVAL_MAX) {
				yyerror("metrics interval %lld out of range "
				    "(%d to %d seconds)", $3,
				    NBD_METRICS_INTERVAL_MIN,
				    NBD_METRICS_INTERVAL_MAX);
				YYERROR;
			}
			conf->metrics_interval = $3;
		}
		| METRICS LISTEN ON STRING PORT NUMBER	{
			if (!setting_once(SEEN_MLISTEN, "metrics listen") ||
			    set_listen($4, $6) == -1)
				YYERROR;
		}
		;

backend		: AUTO				{ $$ = WG_BACKEND_AUTO; }
		| KERNEL			{ $$ = WG_BACKEND_KERNEL; }
		| USERSPACE			{ $$ = WG_BACKEND_USERSPACE; }
		;

loglevel	: LOGWARNING			{ $$ = NBD_LOG_WARNING; }
		| LOGINFO			{ $$ = NBD_LOG_INFO; }
		| LOGDEBUG			{ $$ = NBD_LOG_DEBUG; }
		;

pushmode	: AUTO				{ $$ = METRICS_PUSH_AUTO; }
		| YES				{ $$ = METRICS_PUSH_YES; }
		| NO				{ $$ = METRICS_PUSH_NO; }
		;

%%

/* This has to stay sorted: lookup() uses bsearch. */
static const struct keyword keywords[] = {
	{ "auto",	AUTO },
	{ "config-url",	CONFIGURL },
	{ "debug",	LOGDEBUG },
	{ "file",	FROMFILE },
	{ "include",	INCLUDE },
	{ "info",	LOGINFO },
	{ "interface",	INTERFACE },
	{ "interval",	INTERVAL },
	{ "kernel",	KERNEL },
	{ "level",	LEVEL },
	{ "listen",	LISTEN },
	{ "log",	LOG },
	{ "management",	MANAGEMENT },
	{ "metrics",	METRICS },
	{ "mtu",	MTU },
	{ "no",		NO },
	{ "on",		ON },
	{ "port",	PORT },
	{ "push",	PUSH },
	{ "setup-key",	SETUPKEY },
	{ "state-dir",	STATEDIR },
	{ "url",	URL },
	{ "userspace",	USERSPACE },
	{ "warning",	LOGWARNING },
	{ "wireguard",	WIREGUARD },
	{ "yes",	YES },
};

/*
 * One line per error, whatever it quotes: bytes that are not printable
 * ASCII are shown as \xNN.  The generated parser only ever says "syntax
 * error"; when the lexer returned ERROR it already knows why, so that
 * reason is printed instead.
 */
int
yyerror(const char *fmt, ...)
{
	va_list			 ap;
	char			 msg[512], raw[1024], line[1024];
	const unsigned char	*p;
	size_t			 n = 0;

	errors++;
	if (lexmsg[0] != '\0' && strcmp(fmt, "syntax error") == 0)
		strlcpy(msg, lexmsg, sizeof(msg));
	else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	lexmsg[0] = '\0';

	snprintf(raw, sizeof(raw), "%s:%d: %s", file->name, yylval.lineno,
	    msg);
	for (p = (const unsigned char *)raw; *p != '\0' &&
	    n + 5 < sizeof(line); p++) {
		if (*p >= 0x20 && *p < 0x7f)
			line[n++] = *p;
		else
			n += snprintf(line + n, sizeof(line) - n, "\\x%02x", *p);
	}
	line[n] = '\0';
	log_warnx("%s", line);
	if (errors == 1)
		strlcpy(first_error, line, sizeof(first_error));
	return 0;
}

/* The first error of the last parse_config(), for netbirdctl reload. */
const char *
config_error(void)
{
	return first_error;
}

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, nitems(keywords), sizeof(keywords[0]),
	    kw_cmp);
	return kw != NULL ? kw->token : STRING;
}

/*
 * The next character: pushed-back ones first, then the file.  The end of
 * a file reads as one last newline, so that its last line ends even
 * without one; an included file then gives way to the file that
 * included it.
 */
static int
lgetc(void)
{
	int	c;

	for (;;) {
		if (file->ungetlen > 0) {
			c = file->unget[--file->ungetlen];
			lex_expanded = (c & UNGET_EXPANDED) != 0;
			return c & 0xff;
		}
		lex_expanded = 0;
		if ((c = getc(file->stream)) != EOF)
			return c;
		if (ferror(file->stream) && !file->eof_reached)
			yyerror("read error: %s", strerror(errno));
		if (!file->eof_reached) {
			file->eof_reached = 1;
			return '\n';
		}
		if (file == topfile)
			return EOF;
		popfile();
	}
}

/* Push back the character lgetc() just returned. */
static void
lungetc(int c)
{
	int	*p;

	if (c == EOF)
		return;
	if (file->ungetlen == file->ungetsize) {
		p = reallocarray(file->unget, file->ungetsize + 64,
		    sizeof(*p));
		if (p == NULL)
			fatal("%s", __func__);
		file->unget = p;
		file->ungetsize += 64;
	}
	file->unget[file->ungetlen++] = c |
	    (lex_expanded ? UNGET_EXPANDED : 0);
}

/* Read a macro's value next, marked so that it is not expanded again. */
static void
lexpand(const char *val)
{
	size_t	i;

	lex_expanded = 1;
	for (i = strlen(val); i > 0; i--)
		lungetc((unsigned char)val[i - 1]);
}

/* Skip the rest of the line, leaving the newline to end it. */
static int
findeol(void)
{
	int	c;

	while ((c = lgetc()) != '\n' && c != EOF)
		;
	lungetc(c);
	return ERROR;
}

static int
lexerror(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(lexmsg, sizeof(lexmsg), fmt, ap);
	va_end(ap);
	return findeol();
}

static int
is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
is_word_char(int c)
{
	return is_name_char(c) ||
	    (c > 0 && c < 0x80 && strchr("-./:@%+~[],", c) != NULL);
}

int
yylex(void)
{
	char	buf[TOKEN_MAX];
	int	c;

	lexmsg[0] = '\0';
	if (last_token == '\n')
		tokstr_free_all();
top:
	while ((c = lgetc()) == ' ' || c == '\t' || c == '\r')
		;
	yylval.lineno = file->lineno;
	if (c == '#')
		while ((c = lgetc()) != '\n' && c != EOF)
			;
	if (c == '$') {
		if (lex_expanded)
			return (last_token = lexerror("a macro value may not "
			    "use another macro"));
		if ((c = lex_macro(buf, sizeof(buf))) == 0)
			goto top;
		return (last_token = c);
	}
	if (c == '\n') {
		file->lineno++;
		return (last_token = '\n');
	}
	if (c == EOF)
		return (last_token = 0);
	if (c == '"')
		return (last_token = lex_quoted(buf, sizeof(buf)));
	if (is_word_char(c))
		return (last_token = lex_word(c, buf, sizeof(buf)));
	if (c == '=')
		return (last_token = c);
	if (c < 0x20 || c >= 0x7f)
		return (last_token = lexerror("invalid character 0x%02x", c));
	return (last_token = lexerror("unexpected character '%c'", c));
}

/* After '$': expand the macro, or return ERROR. */
static int
lex_macro(char *buf, size_t size)
{
	const char	*val;
	size_t		 len = 0;
	int		 c;

	while (is_name_char(c = lgetc())) {
		if (len + 1 >= size)
			return lexerror("macro name too long");
		buf[len++] = c;
	}
	lungetc(c);
	buf[len] = '\0';
	if (len == 0)
		return lexerror("missing macro name after $");
	if ((val = symget(buf)) == NULL)
		return lexerror("macro \"%.64s\" is not defined", buf);
	lexpand(val);
	return 0;
}

/* After '"': the string up to the closing quote, on one line. */
static int
lex_quoted(char *buf, size_t size)
{
	size_t	len = 0;
	int	c;

	while ((c = lgetc()) != '"') {
		if (c == '\n' || c == EOF) {
			lungetc(c);
			return lexerror("unterminated quoted string");
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return lexerror("invalid character 0x%02x in quoted "
			    "string", c);
		if (len + 1 >= size)
			return lexerror("string longer than %zu bytes",
			    size - 1);
		buf[len++] = c;
	}
	buf[len] = '\0';
	yylval.v.string = tokstr_new(buf);
	return STRING;
}

/* A bare word: a keyword, a number or a string. */
static int
lex_word(int c, char *buf, size_t size)
{
	const char	*errstr, *p;
	size_t		 len = 0;
	int		 token;

	do {
		if (len + 1 >= size)
			return lexerror("word longer than %zu bytes", size - 1);
		buf[len++] = c;
	} while (is_word_char(c = lgetc()));
	lungetc(c);
	buf[len] = '\0';

	if ((token = lookup(buf)) != STRING)
		return token;
	p = buf[0] == '-' ? buf + 1 : buf;
	if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) {
		yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX, &errstr);
		if (errstr != NULL)
			return lexerror("number %.32s%s is %s", buf,
			    len > 32 ? "..." : "", errstr);
		return NUMBER;
	}
	yylval.v.string = tokstr_new(buf);
	return STRING;
}

static char *
tokstr_new(const char *s)
{
	struct tokstr	*t;
	size_t		 size = strlen(s) + 1;

	if ((t = malloc(sizeof(*t) + size)) == NULL)
		fatal("%s", __func__);
	t->size = size;
	memcpy(t->str, s, size);
	SLIST_INSERT_HEAD(&tokstrs, t, entry);
	return t->str;
}

/* A string may be a setup key: wipe it. */
static void
tokstr_free_all(void)
{
	struct tokstr	*t;

	while ((t = SLIST_FIRST(&tokstrs)) != NULL) {
		SLIST_REMOVE_HEAD(&tokstrs, entry);
		freezero(t, sizeof(*t) + t->size);
	}
}

/*
 * Who may write a file we trust, and who may read one holding a secret.
 * Ownership and write access only matter when running as root.
 */
static const char *
check_file(const struct stat *st, int secret)
{
	if (secret && (st->st_mode & (S_IRGRP | S_IROTH)))
		return "readable by group or others";
	if (geteuid() != 0)
		return NULL;
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/*
 * Open a file and make it the one being read.  The first file may be a
 * pipe (-f /dev/stdin); included files must be regular files, so that
 * opening one can never block.  On failure *why says why.
 */
static struct file *
pushfile(const char *name, int first, const char **why)
{
	struct file	*nfile, *f;
	struct stat	 st;
	FILE		*fp;
	int		 fd, fl, depth = 0;

	TAILQ_FOREACH(f, &files, entry)
		depth++;
	if (depth >= INCLUDE_MAX) {
		*why = "more than " XSTR(INCLUDE_MAX) " nested files";
		return NULL;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    (first ? 0 : O_NONBLOCK));
	if (fd == -1) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	*why = NULL;
	if (S_ISDIR(st.st_mode))
		*why = "is a directory";
	else if (!first && !S_ISREG(st.st_mode))
		*why = "not a regular file";
	else
		*why = check_file(&st, 0);
	TAILQ_FOREACH(f, &files, entry)
		if (*why == NULL && f->dev == st.st_dev && f->ino == st.st_ino)
			*why = "include loop: the file is already being read";
	if (*why == NULL && !first && ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1))
		*why = strerror(errno);
	if (*why != NULL) {
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	if ((nfile = calloc(1, sizeof(*nfile))) == NULL ||
	    (nfile->name = strdup(name)) == NULL)
		fatal("%s", __func__);
	nfile->stream = fp;
	nfile->dev = st.st_dev;
	nfile->ino = st.st_ino;
	nfile->mode = st.st_mode;
	/* An included file starts with the newline that ends "include". */
	nfile->lineno = first ? 1 : 0;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return nfile;
}

static void
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->unget);
	free(file->name);
	free(file);
	file = prev;
}

/* A relative name is relative to the directory of the including file. */
static int
include_file(const char *name)
{
	char		 path[PATH_MAX];
	const char	*slash, *why;
	struct file	*nfile;
	int		 n;

	if (name[0] != '/' && (slash = strrchr(file->name, '/')) != NULL)
		n = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	else
		n = snprintf(path, sizeof(path), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		yyerror("include: path too long");
		return -1;
	}
	if ((nfile = pushfile(path, 0, &why)) == NULL) {
		yyerror("include \"%.256s\": %s", path, why);
		return -1;
	}
	file = nfile;
	lungetc('\n');
	return 0;
}

static int
macro_name_ok(const char *name)
{
	const char	*p;

	for (p = name; *p != '\0'; p++)
		if (!is_name_char((unsigned char)*p))
			break;
	if (p == name || *p != '\0' || p - name >= 64) {
		yyerror("invalid macro name \"%.64s\"", name);
		return 0;
	}
	if (lookup(name) != STRING) {
		yyerror("macro name \"%s\" is a keyword", name);
		return 0;
	}
	return 1;
}

/* A macro from the command line (persist) wins over one from the file. */
static int
symset(const char *name, const char *val, int persist)
{
	struct sym	*sym;
	char		*nval;
	int		 n = 0;

	TAILQ_FOREACH(sym, &symhead, entry) {
		if (strcmp(sym->name, name) == 0)
			break;
		n++;
	}
	if (sym != NULL) {
		if (sym->persist && !persist)
			return 0;
		if ((nval = strdup(val)) == NULL)
			fatal("%s", __func__);
		freezero(sym->val, strlen(sym->val) + 1);
		sym->val = nval;
		sym->persist = persist;
		return 0;
	}
	if (n >= SYM_MAX) {
		if (!persist)
			yyerror("more than %d macros", SYM_MAX);
		return -1;
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL ||
	    (sym->name = strdup(name)) == NULL ||
	    (sym->val = strdup(val)) == NULL)
		fatal("%s", __func__);
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return 0;
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(sym->name, name) == 0)
			return sym->val;
	return NULL;
}

/* Forget the file's macros, or all of them. */
static void
symclear(int all)
{
	struct sym	*sym, *next;

	for (sym = TAILQ_FIRST(&symhead); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if (sym->persist && !all)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		freezero(sym->val, strlen(sym->val) + 1);
		free(sym->name);
		free(sym);
	}
}

/* -D name=value.  Says nothing: the caller reports the failure. */
int
cmdline_symset(char *s)
{
	const char	*p, *val;
	char		 name[64];
	size_t		 len;

	if ((val = strchr(s, '=')) == NULL)
		return -1;
	len = val - s;
	if (len == 0 || len >= sizeof(name))
		return -1;
	memcpy(name, s, len);
	name[len] = '\0';
	for (p = name; *p != '\0'; p++)
		if (!is_name_char((unsigned char)*p))
			return -1;
	if (lookup(name) != STRING)
		return -1;
	val++;
	if (strlen(val) >= TOKEN_MAX)
		return -1;
	for (p = val; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return -1;
	return symset(name, val, 1);
}

static int
setting_once(unsigned int bit, const char *what)
{
	if (seen & bit) {
		yyerror("duplicate %s", what);
		return 0;
	}
	seen |= bit;
	return 1;
}

/*
 * A hostname (letters, digits, '-' and '_' in dot-separated labels) or
 * an IPv4 address, of len bytes at host.
 */
static int
url_host_ok(const char *host, size_t len)
{
	size_t	i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (host[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!is_name_char((unsigned char)host[i]) && host[i] != '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/*
 * host[:port] between host and end: a host name, an IPv4 address or an
 * IPv6 address in brackets.  Sets the length of the host part, and the
 * port if there is one.  Returns what is wrong, or NULL.
 */
static const char *
url_authority(const char *host, const char *end, size_t *hostlen,
    char *port, size_t portsize)
{
	char		 v6[INET6_ADDRSTRLEN];
	struct in6_addr	 a6;
	const char	*p, *errstr;
	size_t		 len;

	if (memchr(host, '@', end - host) != NULL)
		return "user information is not allowed";
	if (*host == '[') {
		p = memchr(host, ']', end - host);
		if (p == NULL || (size_t)(p - host - 1) >= sizeof(v6))
			return "bad IPv6 address";
		memcpy(v6, host + 1, p - host - 1);
		v6[p - host - 1] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			return "bad IPv6 address";
		p++;
	} else {
		if ((p = memchr(host, ':', end - host)) == NULL)
			p = end;
		if (!url_host_ok(host, p - host))
			return "bad host name";
	}
	*hostlen = p - host;
	if (p == end)
		return NULL;

	len = end - p - 1;
	if (*p != ':' || len == 0 || len >= portsize ||
	    strspn(p + 1, "0123456789") < len)
		return "bad port";
	memcpy(port, p + 1, len);
	port[len] = '\0';
	strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL)
		return "port out of range";
	return NULL;
}

/*
 * scheme://host[:port][/]: http or https only, the port defaulting to
 * 443 or 80 as NetBird's client does.  Stored as scheme://host:port.
 */
/* The Prometheus listener: a numeric IPv4 or IPv6 address and a port. */
static int
set_listen(const char *addr, long long port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&conf->metrics_listen;
	struct sockaddr_in6	*sin6 =
				    (struct sockaddr_in6 *)&conf->metrics_listen;

	if (port < 1 || port > 65535) {
		yyerror("metrics listen: invalid port %lld", port);
		return -1;
	}
	memset(&conf->metrics_listen, 0, sizeof(conf->metrics_listen));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	memset(&conf->metrics_listen, 0, sizeof(conf->metrics_listen));
	yyerror("metrics listen: not an IPv4 or IPv6 address: %s", addr);
	return -1;
}

/* An absolute http:// or https:// URL with a host, as it is. */
static int
set_http_url(char *dst, size_t len, const char *what, const char *url)
{
	size_t	n;

	n = strncasecmp(url, "https://", 8) == 0 ? 8 :
	    strncasecmp(url, "http://", 7) == 0 ? 7 : 0;
	if (n == 0 || url[n] == '\0' || url[n] == '/' ||
	    strpbrk(url, " \t\"\\") != NULL) {
		yyerror("%s: not an http:// or https:// URL: %s", what, url);
		return -1;
	}
	if (strlcpy(dst, url, len) >= len) {
		yyerror("%s: URL longer than %zu bytes", what, len - 1);
		return -1;
	}
	return 0;
}

static int
set_mgmt_url(const char *url)
{
	char		 port[6];
	const char	*scheme, *host, *end, *why;
	size_t		 hostlen;
	int		 n;

	if (!setting_once(SEEN_MGMT, "management"))
		return -1;
	if (strncasecmp(url, "https://", 8) == 0) {
		scheme = "https";
		host = url + 8;
		strlcpy(port, "443", sizeof(port));
	} else if (strncasecmp(url, "http://", 7) == 0) {
		scheme = "http";
		host = url + 7;
		strlcpy(port, "80", sizeof(port));
	} else {
		yyerror("invalid management URL: the scheme must be http "
		    "or https");
		return -1;
	}
	end = host + strcspn(host, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0) {
		yyerror("invalid management URL: a path, query or fragment "
		    "is not allowed");
		return -1;
	}
	if ((why = url_authority(host, end, &hostlen, port,
	    sizeof(port))) != NULL) {
		yyerror("invalid management URL: %s", why);
		return -1;
	}
	n = snprintf(conf->mgmt_url, sizeof(conf->mgmt_url), "%s://%.*s:%s",
	    scheme, (int)hostlen, host, port);
	if (n < 0 || (size_t)n >= sizeof(conf->mgmt_url)) {
		yyerror("invalid management URL: longer than %zu bytes",
		    sizeof(conf->mgmt_url) - 1);
		return -1;
	}
	return 0;
}

/*
 * A setup key is a UUID (NetBird's client refuses anything else),
 * stored in lower case as that client sends it.  Never quoted in a
 * message: it is a secret.
 */
static int
setup_key_ok(const char *s, char *key, size_t size)
{
	size_t	i;
	char	c;

	if (strlen(s) != 36 || size <= 36)
		return 0;
	for (i = 0; i < 36; i++) {
		c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (c >= 'A' && c <= 'F')
			c += 'a' - 'A';
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
		key[i] = c;
	}
	key[36] = '\0';
	return 1;
}

static int
set_setup_key(const char *s)
{
	if (!setting_once(SEEN_SETUPKEY, "setup-key"))
		return -1;
	if (file->mode & (S_IRGRP | S_IROTH)) {
		yyerror("setup-key in a file readable by group or others; "
		    "chmod 600 it or use setup-key file");
		return -1;
	}
	if (!setup_key_ok(s, conf->setup_key, sizeof(conf->setup_key))) {
		yyerror("invalid setup key: not a UUID");
		return -1;
	}
	return 0;
}

/* The key is the file's first line, without surrounding blanks. */
static int
set_setup_key_file(const char *path)
{
	char		 buf[KEYFILE_READ + 1];
	struct stat	 st;
	const char	*why = NULL;
	char		*line, *nl;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, ok;

	if (!setting_once(SEEN_SETUPKEY, "setup-key") ||
	    set_path(conf->setup_key_file, sizeof(conf->setup_key_file),
	    "setup-key file", path) == -1)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else
		why = check_file(&st, 1);
	while (why == NULL && len < KEYFILE_READ &&
	    memchr(buf, '\n', len) == NULL) {
		if ((n = read(fd, buf + len, KEYFILE_READ - len)) == -1) {
			if (errno != EINTR)
				why = strerror(errno);
			continue;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (fd != -1)
		close(fd);
	buf[len] = '\0';
	if ((nl = memchr(buf, '\n', len)) != NULL)
		*nl = '\0';
	if (why == NULL && nl == NULL && len == KEYFILE_READ)
		why = "first line too long";
	else if (why == NULL && strlen(buf) != (nl != NULL ?
	    (size_t)(nl - buf) : len))
		why = "NUL byte in the first line";
	if (why != NULL) {
		explicit_bzero(buf, sizeof(buf));
		yyerror("setup-key file %.256s: %s", path, why);
		return -1;
	}

	for (line = buf; *line == ' ' || *line == '\t'; line++)
		;
	len = strlen(line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
	    line[len - 1] == '\r'))
		line[--len] = '\0';
	ok = setup_key_ok(line, conf->setup_key, sizeof(conf->setup_key));
	explicit_bzero(buf, sizeof(buf));
	if (!ok) {
		yyerror("setup-key file %.256s: %s", path, len == 0 ?
		    "empty first line" : "the first line is not a UUID");
		return -1;
	}
	return 0;
}

/* Interface names: what ip-link(8) and the kernel accept, less exotic. */
static int
set_ifname(const char *name)
{
	size_t	len = strlen(name);

	if (!setting_once(SEEN_IFNAME, "interface"))
		return -1;
	if (len >= sizeof(conf->ifname)) {
		yyerror("interface name longer than %zu characters",
		    sizeof(conf->ifname) - 1);
		return -1;
	}
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len) {
		yyerror("invalid interface name \"%s\"", name);
		return -1;
	}
	strlcpy(conf->ifname, name, sizeof(conf->ifname));
	return 0;
}

static int
set_path(char *dst, size_t size, const char *what, const char *path)
{
	if (path[0] != '/') {
		yyerror("%s must be an absolute path", what);
		return -1;
	}
	if (strlcpy(dst, path, size) >= size) {
		yyerror("%s path longer than %zu bytes", what, size - 1);
		return -1;
	}
	return 0;
}

static int
set_wireguard(int backend, const char *program)
{
	if (!setting_once(SEEN_WG, "wireguard"))
		return -1;
	conf->wg_backend = backend;
	if (program == NULL)
		return 0;
	if (backend == WG_BACKEND_KERNEL) {
		yyerror("wireguard kernel takes no program");
		return -1;
	}
	return set_path(conf->wg_userspace, sizeof(conf->wg_userspace),
	    "wireguard program", program);
}

void
config_defaults(struct nbd_config *c)
{
	memset(c, 0, sizeof(*c));
	if (strlcpy(c->mgmt_url, NBD_MGMT_URL, sizeof(c->mgmt_url)) >=
	    sizeof(c->mgmt_url) ||
	    strlcpy(c->ifname, NBD_IFNAME, sizeof(c->ifname)) >=
	    sizeof(c->ifname) ||
	    strlcpy(c->wg_userspace, NBD_WG_USERSPACE,
	    sizeof(c->wg_userspace)) >= sizeof(c->wg_userspace) ||
	    strlcpy(c->state_dir, NBD_STATEDIR, sizeof(c->state_dir)) >=
	    sizeof(c->state_dir) ||
	    strlcpy(c->metrics_config_url, NBD_METRICS_CONFIG_URL,
	    sizeof(c->metrics_config_url)) >= sizeof(c->metrics_config_url))
		fatalx("%s: default too long", __func__);
	c->wg_port = NBD_WG_PORT;
	c->mtu = NBD_MTU;
	c->wg_backend = WG_BACKEND_AUTO;
	c->log_level = NBD_LOG_INFO;
	c->metrics_push = METRICS_PUSH_AUTO;
}

/*
 * Parse filename over the defaults.  *xconf changes only on success, so
 * that a failed reload keeps the running configuration.
 */
int
parse_config(const char *filename, struct nbd_config *xconf)
{
	static struct nbd_config	 nconf;
	const char			*why;
	int				 rc;

	config_defaults(&nconf);
	conf = &nconf;
	seen = 0;
	errors = 0;
	last_token = 0;
	lexmsg[0] = '\0';
	first_error[0] = '\0';

	if ((file = pushfile(filename, 1, &why)) == NULL) {
		log_warnx("%s: %s", filename, why);
		snprintf(first_error, sizeof(first_error), "%s: %s", filename,
		    why);
		symclear(0);
		return -1;
	}
	topfile = file;
	rc = yyparse();
	while (file != NULL)
		popfile();
	topfile = NULL;
	tokstr_free_all();
	symclear(0);

	if (rc != 0 || errors != 0) {
		explicit_bzero(&nconf, sizeof(nconf));
		return -1;
	}
	*xconf = nconf;
	explicit_bzero(&nconf, sizeof(nconf));
	return 0;
}
