/* rpclog — supervisord's XML-RPC methods on the processes' log files:
 * read a part (readProcessStdoutLog ...), tail one (tailProcessStdoutLog
 * ...), clear them (clearProcessLogs, clearAllProcessLogs), and corrald's
 * own log file, supervisord's main log (readLog, clearLog; mainlog.h).
 *
 * Listed in rpc.c's table of methods, each with its signature and help;
 * the calls are rcall.h's. Files are read through logfile.h, never
 * through a symbolic link. (The stream of a log, /logtail, is rpc.c's:
 * it follows what the core publishes.) */
#ifndef CORRAL_RPCLOG_H
#define CORRAL_RPCLOG_H

struct process;
struct rcall;
struct xval;

/* Remove P's log files and their rotated copies (clearProcessLogs, the web
 * page's clearlog); supervisor_reopen_logs() then opens them anew. 0, or
 * the -errno of the last that could not be removed. */
int rpclog_clear_files(const struct process *p);

/* readProcessStdoutLog (readProcessLog), readProcessStderrLog. */
void rpclog_read_stdout(struct rcall *rc, const struct xval *pa);
void rpclog_read_stderr(struct rcall *rc, const struct xval *pa);
/* tailProcessStdoutLog (tailProcessLog), tailProcessStderrLog. */
void rpclog_tail_stdout(struct rcall *rc, const struct xval *pa);
void rpclog_tail_stderr(struct rcall *rc, const struct xval *pa);
/* clearProcessLogs (clearProcessLog), clearAllProcessLogs. */
void rpclog_clear(struct rcall *rc, const struct xval *pa);
void rpclog_clear_all(struct rcall *rc, const struct xval *pa);
/* readLog (readMainLog), clearLog: corrald's logfile; NO_FILE without one. */
void rpclog_read_main(struct rcall *rc, const struct xval *pa);
void rpclog_clear_main(struct rcall *rc, const struct xval *pa);

/* Serve GET /mainlogtail (supervisorctl's maintail -f): corrald's log
 * file, its last 1 KiB then what is logged. 0, or -ENOSPC. */
int rpclog_init(void);

#endif
