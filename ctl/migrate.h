/* migrate — a supervisord config rewritten in corral's own format.
 *
 * `corralctl migrate FILE` prints the same configuration as corral.conf(5)
 * would write it: the sections and keys in the order written, what corral
 * lacks commented out with the reason, what supervisord expanded written
 * expanded, and each program's isolation written commented in. Nothing
 * here prints but the configuration itself. */
#ifndef CORRAL_MIGRATE_H
#define CORRAL_MIGRATE_H

#include <stdio.h>
#include <stddef.h>

struct config_errors;

/* Write PATH (a supervisord config: its main file has [supervisord]) in
 * corral's format to OUT. 0; -EINVAL with every error of the file in ERRS
 * ("FILE:LINE: [SECTION]: message", as corrald --check says them);
 * -ENOTSUP when PATH is in corral's format already; -ENOMEM. ERRS is the
 * caller's to free with config_api_errors_free(). Write errors are OUT's
 * (ferror). */
int migrate_supervisord(const char *path, FILE *out, struct config_errors *errs);

/* VALUE for a key corral's format expands (%(...)s): each '%' doubled, so
 * that it stays as it is. Heap, the caller frees; NULL: out of memory. */
char *migrate_escape(const char *value);

/* ENV ("KEY=value" entries, NULL-terminated) as an environment = value
 * both formats read back the same: KEY="value" pairs, with '"' and '\'
 * escaped. Heap, the caller frees; NULL: out of memory. */
char *migrate_environment(char *const *env);

#endif
