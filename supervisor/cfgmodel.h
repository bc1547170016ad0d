/* cfgmodel — what a config holds once read: the structs a load fills
 * (struct corral_config and its programs, groups, sockets, HTTP servers,
 * a pool's and a socket's parts) and the pure functions on them. The
 * bottom of the config reader: the reader's parts (cfg*.c), the sockets
 * and the pools' keys (sockets.c, poolcfg.c) and everything that runs a
 * config read it here; it includes none of them. The load itself, which
 * fills these, is config.h's. */
#ifndef CORRAL_CFGMODEL_H
#define CORRAL_CFGMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

/* An address of a [socket:] (sockets.h parses, formats and opens them). */
enum socket_kind { SOCKET_TCP, SOCKET_UDP, SOCKET_UNIX };

struct socket_addr {
	enum socket_kind kind;
	socklen_t len;                  /* of the address in ss */
	struct sockaddr_storage ss;     /* zeroed past len, so equal addresses compare equal */
	bool reuseport;                 /* its [socket:] says reuseport = true: one socket per
					 * instance (SO_REUSEPORT), not one shared by all */
};

/* A [pool:]'s own keys (poolcfg.h reads them). */
enum pool_framing { POOL_FRAMING_LINE, POOL_FRAMING_LENGTH };
/* What becomes of a job in flight whose producer went away. */
enum pool_cancel { POOL_CANCEL_FINISH, POOL_CANCEL_KILL };

#define POOL_MAX_QUEUE   1000000
#define POOL_MAX_MAILBOX 1024
#define POOL_MAX_RETRIES 100
#define POOL_MAX_RATE    1000000

struct pool_config {
	int workers;              /* its numprocs, default 1 */
	enum pool_framing framing;/* default line */
	int mailbox;              /* jobs in flight per worker, default 1 (line: always 1) */
	int queue;                /* bound of the queue, 0: rendezvous; default 64 */
	int64_t job_timeout_ms;   /* 0: none; default 60 s */
	int job_retries;          /* more tries after a worker crashed, default 1 */
	enum pool_cancel cancel;  /* default finish */
	int submit_rate;          /* jobs a second taken in, per pool and per producer; 0: no limit */
	int submit_burst;         /* jobs at once; 0: as submit_rate */
};

enum autorestart { AUTORESTART_FALSE, AUTORESTART_UNEXPECTED, AUTORESTART_TRUE };

/* When a started process counts as RUNNING. */
enum ready_mode {
	READY_STARTSECS,      /* alive for startsecs (supervisord's meaning) */
	READY_NONE,           /* at once */
	READY_NOTIFY,         /* it says READY=1 on $NOTIFY_SOCKET (sd_notify) */
	READY_FD,             /* it writes a newline on fd ready_fd (s6's way) */
	READY_HEALTH,         /* its healthcheck passes once (health.h) */
	READY_LOG,            /* a line of its stdout or stderr matches ready_log (readylog.h) */
};

/* What an unhealthy process gets (health.h). */
enum on_unhealthy { ON_UNHEALTHY_RESTART, ON_UNHEALTHY_STOP, ON_UNHEALTHY_NONE };
/* How a restart of a program of several instances goes (roll.h): all
 * stopped then all started, or a few at a time, each ready before the next. */
enum update_strategy { UPDATE_RESTART, UPDATE_ROLLING };

/* What a rate-limited log stream does with lines over its rate. */
enum log_overflow { LOG_OVERFLOW_BLOCK, LOG_OVERFLOW_DROP };

/* What is killed when the main process of an instance exits on its own:
 * everything left in its scope (group), or nothing (process). */
enum killmode { KILLMODE_GROUP, KILLMODE_PROCESS };

/* How an instance's process tree is kept together. */
enum scopes {
	SCOPES_AUTO,          /* cgroup v2 when usable, else v1, else process groups */
	SCOPES_CGROUP,        /* cgroup v2 or refuse to start ("cgroup", "cgroup2") */
	SCOPES_PROCESS_GROUP, /* process groups (and corrald as subreaper) */
	SCOPES_CGROUP2,       /* the same as SCOPES_CGROUP, by its other name */
	SCOPES_CGROUP1,       /* cgroup v1 (the freezer's hierarchy) or refuse to start */
};

/* What one process of a program runs with, where supervisord's
 * %(process_num)d makes it differ from its siblings' (see
 * program_config_instance()). */
struct program_instance {
	char **argv;
	char *command;
	char *directory;
	char *stdout_logfile;
	char *stderr_logfile;
	char **environment;
};

#define CONFIG_DEFAULT_LOGDIR "/var/log/corral"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/corral"

/* The fields of a program, each once, in the order of the struct: F(TYPE,
 * NAME) for a field, A(TYPE, NAME, N) for an array of N. struct
 * program_config below is made from this list, and so is the list of
 * fields the key table (cfgprog.c) must cover: test_cfgprog fails when a
 * field has no row (the key that sets it, or how a reload compares a field
 * no key sets), so that program_config_equal() cannot miss one. */
#define PROGRAM_CONFIG_FIELDS(F, A)                                                      \
	F(char *, name)                 /* from [program:NAME] */                         \
	F(char *, file)                 /* where the section was written, for messages */ \
	F(int, line)                                                                      \
	F(char *, command)              /* as written */                                  \
	F(char **, argv)                /* command split like a shell would, NULL-terminated */ \
	F(int, numprocs)                /* >= 1 */                                        \
	F(int, numprocs_start)          /* first %(process_num)d, default 0 */            \
	F(char *, process_name)         /* template, default "%(program_name)s" */        \
	F(bool, autostart)              /* default true */                                \
	F(enum autorestart, autorestart) /* default unexpected */                         \
	F(int, startsecs)               /* default 1 */                                   \
	F(int, startretries)            /* default 3 */                                   \
	A(uint8_t, exitcodes, 32)       /* bitmap of expected exit codes 0..255, default {0} */ \
	F(int, stopsignal)              /* default SIGTERM */                             \
	F(int, stopwaitsecs)            /* default 10 */                                  \
	F(bool, stopasgroup)            /* stopsignal to the whole scope, default false */ \
	F(bool, killasgroup)            /* SIGKILL to the whole scope, default true       \
					 * (scopes always do) */                          \
	F(enum killmode, killmode)      /* default group */                               \
	F(char *, directory)            /* NULL: corrald's working directory */           \
	F(char **, environment)         /* "KEY=value" entries, NULL-terminated, never NULL */ \
	F(int, umask)                   /* -1: inherit corrald's */                       \
	F(int, priority)                /* default 999; lower starts first, stops last;   \
					 * its [group:]'s when that sets one; -1 for an   \
					 * [eventlistener:] that sets none (supervisord's) */ \
	F(int, process_priority)        /* its own priority key, default 999 even for an  \
					 * [eventlistener:]: supervisord's process        \
					 * priority, which orders it among its group's    \
					 * processes */                                   \
	F(bool, redirect_stderr)                                                          \
	F(char *, stdout_logfile)       /* NULL: logdir/NAME.out; "NONE": discarded */    \
	F(char *, stderr_logfile)       /* NULL: logdir/NAME.err; "NONE": discarded */    \
	F(char *, group)                /* the [group:] it is in, NULL: its own */        \
	F(bool, main)                   /* corrald --init exits with its status when it ends */ \
	F(bool, autorestart_set)        /* autorestart written in the config (config_for_init) */ \
	F(uint64_t, stdout_maxbytes)    /* rotate past this, 0: never; default 50MB */    \
	F(uint64_t, stderr_maxbytes)                                                      \
	F(int, stdout_backups)          /* rotated files kept, default 10 */              \
	F(int, stderr_backups)                                                            \
	F(bool, log_timestamps)         /* RFC 3339 stamp before each line */             \
	F(uint64_t, log_line_max)       /* longer lines are cut with a marker, 0: no      \
					 * limit; 16KB */                                 \
	F(uint64_t, log_buffer)         /* bytes read and held per stream at most; 64KB */ \
	F(uint64_t, log_rate)           /* lines a second, 0: no limit */                 \
	F(uint64_t, log_burst)          /* lines at once, 0: as log_rate */               \
	F(enum log_overflow, log_overflow) /* default block */                            \
	F(enum ready_mode, ready)       /* default startsecs */                           \
	F(int, ready_fd)                /* READY_FD: the fd it writes its newline on */   \
	F(int, start_timeout)           /* notify/fd: seconds to become ready, 0: forever; 90 */ \
	F(int, watchdog_sec)            /* WATCHDOG=1 at least this often once RUNNING, 0: off */ \
	F(char **, requires)            /* programs it needs ready before it starts; NULL: none */ \
	F(char **, after)               /* programs it starts after, if they start too;   \
					 * NULL: none */                                  \
	F(struct sandbox, sandbox)      /* user, capabilities, seccomp, namespaces,       \
					 * limits: compiled */                            \
	/* Its [socket:] addresses in the order of its fds 3, 4 ... (sections in         \
	 * the order written, each section's listen values in order); NULL: none. */     \
	F(struct socket_addr *, listen)                                                   \
	F(char **, listen_names)        /* the [socket:NAME] of each, for LISTEN_FDNAMES; \
					 * NULL-terminated */                             \
	F(int, nlisten)                                                                   \
	/* numprocs of them when command, directory, a log file or environment           \
	 * use %(process_num)d; a NULL field there: the program's own. NULL: none. */    \
	F(struct program_instance *, instances)                                           \
	F(bool, is_pool)                /* a [pool:NAME]: its processes are the pool's workers */ \
	/* An [fcgi-program:NAME] (supervisord's): corrald listens on fcgi_socket        \
	 * and gives it to each of its processes as stdin (fd 0). */                     \
	F(bool, is_fcgi)                                                                  \
	F(struct socket_addr *, fcgi_socket) /* heap; NULL only while being read */      \
	F(int, fcgi_backlog)            /* socket_backlog, default SOMAXCONN */           \
	F(unsigned, fcgi_mode)          /* socket_mode of a unix path, default 0700 */    \
	F(bool, fcgi_owner)             /* socket_owner set: a unix path is chowned to: */ \
	F(uid_t, fcgi_uid)                                                                \
	F(gid_t, fcgi_gid)                                                                \
	F(struct pool_config, pool)     /* is_pool: the pool's own keys (poolcfg.h) */    \
	/* supervisord's event keys (events.c) */                                         \
	F(bool, is_listener)            /* an [eventlistener:NAME]: its stdout speaks the \
					 * protocol */                                    \
	F(uint32_t, listener_events)    /* is_listener: its events =, bits of enum event_type */ \
	F(int, buffer_size)             /* is_listener: events its pool holds, default 10 */ \
	A(bool, events_enabled, 2)      /* stdout_/stderr_events_enabled: PROCESS_LOG_* events */ \
	A(uint64_t, capture_maxbytes, 2) /* stdout_/stderr_capture_maxbytes, 0: no capture mode */ \
	A(bool, syslog, 2)              /* stdout_/stderr_syslog: each line to syslog too (devlog.h) */ \
	F(bool, strip_ansi)             /* [supervisord] strip_ansi: escapes out of its output \
					 * (ansi.h) */                                    \
	F(bool, stdin_pipe)             /* its stdin is a pipe corrald holds (supervisord's format) */ \
	/* health checks (health.h) */                                                    \
	F(char *, healthcheck)          /* http://HOST:PORT/PATH, tcp:HOST:PORT or exec:/PATH ARG...; \
					 * NULL: none */                                  \
	F(int, health_interval)         /* seconds between checks, default 30 */          \
	F(int, health_timeout)          /* seconds a check may take, default 10 */        \
	F(int, health_retries)          /* failures in a row before unhealthy, default 3 */ \
	F(int, health_start_period)     /* seconds after a start whose failures do not count */ \
	F(enum on_unhealthy, on_unhealthy) /* default restart */                          \
	/* schedules (schedule.c; cron.h reads the expression) */                         \
	F(char *, schedule)             /* cron expression as written, NULL: none */      \
	F(int, schedule_timeout)        /* seconds a run may take, 0: no limit */         \
	F(char *, schedule_tz)          /* "UTC" or a zone name, NULL: local time */     \
	/* ready = log:REGEX (readylog.c) */                                              \
	F(char *, ready_log)            /* READY_LOG: the POSIX extended regex; NULL: none */ \
	/* restarts on changes of files (watch.c) */                                      \
	F(char **, watch)               /* absolute paths; NULL: none */                  \
	F(char **, watch_exclude)       /* fnmatch globs; NULL: none */                   \
	F(int, watch_debounce)          /* milliseconds, default 500 */                   \
	F(bool, watch_cascade)          /* restart what requires it too */                \
	F(bool, ready_health)           /* READY_LOG (health+log:): its healthcheck passes too */ \
	/* rolling restarts (roll.c) */                                                   \
	F(enum update_strategy, update_strategy) /* default restart, or its [group:]'s */

#define PROGRAM_CONFIG_FIELD(type, name) type name;
#define PROGRAM_CONFIG_ARRAY(type, name, n) type name[n];
struct program_config {
	PROGRAM_CONFIG_FIELDS(PROGRAM_CONFIG_FIELD, PROGRAM_CONFIG_ARRAY)
};
#undef PROGRAM_CONFIG_FIELD
#undef PROGRAM_CONFIG_ARRAY

/* What a group does when one member fails (Erlang/OTP's meanings). */
enum group_strategy {
	STRATEGY_ONE_FOR_ONE,   /* restart the member alone */
	STRATEGY_ONE_FOR_ALL,   /* stop every member's tree, then restart them all */
	STRATEGY_REST_FOR_ONE,  /* ... the members listed after it, and it */
};

struct group_config {
	char *name;             /* from [group:NAME] */
	char *file;
	int line;
	char **programs;        /* members in the order written, NULL-terminated */
	enum group_strategy strategy;   /* default one_for_one */
	int restart_intensity;  /* more restarts than this in restart_period: FATAL; 0: no limit */
	int restart_period;     /* seconds, default 60 */
	int priority;           /* given to every member when has_priority */
	bool has_priority;
	bool pipeline;          /* a [pipeline:]: each member's stdout feeds the next one's stdin */
	uint64_t buffer;        /* pipeline: each pipe's capacity (F_SETPIPE_SZ), 0: the kernel's */
	enum update_strategy update_strategy; /* its members' that set none; default restart */
};

/* A [socket:NAME]: addresses corrald listens on for one program. */
struct socket_config {
	char *name;             /* from [socket:NAME] */
	char *file;
	int line;
	struct socket_addr *listen; /* in the order written; heap */
	int nlisten;
	char *program;          /* the program given them: every instance of it */
	int backlog;            /* default 128 */
	unsigned socket_mode;   /* of unix: paths, default 0666 */
	bool reuseport;         /* one SO_REUSEPORT socket per instance; false: one shared */
};

/* [unix_http_server] or [inet_http_server]: where corrald also serves
 * supervisord's XML-RPC interface (rpc.c), for supervisorctl and its tools. */
struct http_config {
	bool enabled;           /* the section is there */
	char *file;             /* unix: the socket's path */
	unsigned chmod;         /* unix: its mode, default 0700 */
	char *chown;            /* unix: "user[:group]" to give it to; NULL: corrald's */
	char *host;             /* inet: the address to bind ("*" or "": any) */
	char *port;             /* inet: the port */
	char *username;         /* Basic auth; NULL: none */
	char *password;         /* plain, or "{SHA}" and the SHA-1 in hex */
	char *where;            /* "FILE:LINE" of the section, for messages */
	/* the JSON API (api.h): a file holding a bearer token it also takes
	 * (only corrald's user or root may read it; read by http.c when it
	 * starts serving), and "FILE:LINE" of that key; NULL: none */
	char *api_token_file;
	char *api_token_where;
	bool read_only;         /* the JSON API answers GET only */
};

/* Where the control socket's path came from (corrald --check -v says). */
enum socket_rule {
	SOCKET_RULE_SET,        /* socket = in [corral] or [supervisord] */
	SOCKET_RULE_DEFAULT,    /* corral's format: CONFIG_DEFAULT_SOCKET */
	SOCKET_RULE_HTTP,       /* supervisord's: [unix_http_server] file + ".corral" */
	SOCKET_RULE_CONFIG,     /* supervisord's: named after the config file's real path */
};

struct corral_config {
	char *path;             /* the main file as given */
	char *socket;           /* control socket path */
	enum socket_rule socket_rule;
	unsigned socket_mode;   /* default 0600 */
	char *logdir;
	char *state_dir;        /* what corralctl disable/enable keep (state.h) */
	char *pidfile;          /* NULL: none */
	/* corrald's own log file (mainlog.h); NULL: none, stderr only */
	char *logfile;
	uint64_t logfile_maxbytes; /* rotate past this, 0: never; default 50MB */
	int logfile_backups;    /* rotated files kept, default 10 */
	enum scopes scopes;     /* default auto */
	struct program_config *programs; /* sorted by priority, then name */
	size_t nprograms;
	struct group_config *groups;     /* in the order written */
	size_t ngroups;
	struct socket_config *sockets;   /* in the order written */
	size_t nsockets;
	struct http_config unix_http, inet_http;
	char *identifier;       /* [supervisord] identifier, for XML-RPC; default "supervisor" */
	int loglevel;           /* [supervisord] loglevel as a log.h level; -1: not set */
	bool supervisord;       /* read in supervisord's format (it has [supervisord]) */
	/* supervisord's minfds and minprocs: RLIMIT_NOFILE and RLIMIT_NPROC
	 * corrald raises its own (and so its programs') soft limits to at
	 * start; 0: none. supervisord's defaults (1024, 200) in its format. */
	unsigned long minfds, minprocs;
	bool nodaemon;          /* stay in the foreground; false only by supervisord's default
				   or nodaemon = false */
	bool silent;            /* in the foreground, no log on stderr but errors */
};

/* Why NAME cannot name a program, group, pool, socket or process (a
 * process's cgroup and log files are named after it), or NULL when it
 * can: it must be non-empty, without whitespace, control characters, ':',
 * '/' or '*', neither "." nor "..", and not CONTROLLER.ANYTHING for a cgroup
 * controller (the kernel's files in a cgroup: cgroup.procs, memory.max). */
const char *config_name_problem(const char *name);

/* A process's full name (NAME, or GROUP:PROCESS) names its cgroup and its
 * log files, NAME.out.1000 the longest: at most this long, so that every
 * one fits in a file name (NAME_MAX, 255). */
#define CONFIG_FULL_NAME_MAX 246

/* True when A and B would run the same way: a reload leaves such a program alone. */
bool program_config_equal(const struct program_config *a, const struct program_config *b);

/* True when A and B differ at most in what is read as a process starts
 * (command, environment, directory, umask, startsecs, startretries,
 * exitcodes, autorestart, start_timeout): a rolling update can then take
 * the processes to B one at a time, each stopped as A says and started as
 * B says. */
bool program_config_rollable(const struct program_config *a, const struct program_config *b);

/* Expand the process_name template for instance NUM (numprocs_start-based)
 * into BUF. Returns 0, or -ENAMETOOLONG when it does not fit. */
int program_config_process_name(const struct program_config *p, int num, char *buf, size_t len);

/* The values process INDEX (0 .. numprocs - 1, not numprocs_start-based)
 * of P runs with: its own where %(process_num)d made them differ, else the
 * program's. The pointers are P's. */
void program_config_instance(const struct program_config *p, int index,
			     struct program_instance *out);

/* True when CODE is one of p->exitcodes. */
bool program_config_expected_exit(const struct program_config *p, int code);

#endif
