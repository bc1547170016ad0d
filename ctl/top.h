/* top — corralctl top: a full-screen, live view of corrald's processes
 * (ncurses), fed by the control verb top (corrald pushes each change),
 * the selected process's log below it (tail -f on a second connection),
 * and keys that act on the selection. Without a terminal, or with
 * --once, one snapshot as plain text. */
#ifndef CORRAL_TOP_H
#define CORRAL_TOP_H

#include <stdbool.h>
#include <stddef.h>

struct top_opts {
	bool once;   /* --once: one snapshot, plain text */
	bool usage;  /* --usage: CPU and memory columns from the start */
};

/* Parse top's words (ARGV[0] is "top") into O: 0, or -1 with MSG. */
int top_parse(int argc, char **argv, struct top_opts *o, char *msg, size_t msglen);
/* Run it on the control socket PATH: the exit status (0; 4 when corrald
 * cannot be reached; 1 when the terminal cannot be used). */
int top_main(const char *path, const struct top_opts *o);

#endif
