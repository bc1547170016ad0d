/* logfile — the files on disk that programs' output is logged to, opened,
 * rotated and read so that nobody who can write a log directory can turn
 * corrald (root) on a file of their choosing.
 *
 * The rules (corral.conf(5), "Log files"):
 *   - the last component of a log file's path is never followed when it is
 *     a symbolic link (O_NOFOLLOW), and a file made anew is made with
 *     O_EXCL, so that one planted between a look and the open is refused
 *     too; what is there must be a regular file (or, configured by root, a
 *     character device such as /dev/null);
 *   - rotation renames within the directory it opened (renameat), never
 *     from or onto anything but a regular file, and never replaces a name
 *     that appeared meanwhile (RENAME_NOREPLACE);
 *   - a directory that someone other than root, corrald's own user and the
 *     program's user could change (one they own, or one their group or
 *     everybody may write without the sticky bit), or a directory under
 *     such a one, does not hold log files.
 *
 * Nothing here prints: errors come back as -errno with a message in ERR
 * that names the path. */
#ifndef CORRAL_LOGFILE_H
#define CORRAL_LOGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "No program user": only root and corrald's own user are trusted. */
#define LOGFILE_NO_USER ((uid_t)-1)

/* May DIR hold the log files of a program running as UID? DIR and every
 * directory above it (by the path as written and by the path its symbolic
 * links resolve to) are checked; a directory that does not exist yet ends
 * the walk (its log file cannot be opened, and says so then). 0, or -EPERM
 * with ERR naming the directory and who could change it, or -errno when a
 * directory cannot be looked at. */
int logfile_check_dir(const char *dir, uid_t uid, char *err, size_t errlen);

/* The directory of PATH into DIR ("." when it has none). 0, or
 * -ENAMETOOLONG. */
int logfile_dirname(const char *path, char *dir, size_t len);

/* Open PATH to append to, for a program running as UID: its directory is
 * checked again (itself, not those above it), the file is made when it is
 * missing. The fd (close-on-exec, non-blocking, so that neither the open
 * nor a write can stop corrald), with *SIZE the file's size; or -errno
 * with ERR (-ELOOP: a symbolic link; -EPERM: refused by the rules). */
int logfile_open_append(const char *path, uid_t uid, uint64_t *size, char *err, size_t errlen);

/* Rotate PATH: PATH.BACKUPS goes, PATH.N-1 becomes PATH.N ..., PATH
 * becomes PATH.1; with BACKUPS 0, PATH goes. Nothing moves when any of
 * these names is a symbolic link or not a regular file. 0, or -errno with
 * ERR. The caller opens PATH anew afterwards. */
int logfile_rotate(const char *path, int backups, uid_t uid, char *err, size_t errlen);

/* Open PATH to read (tail, readLog): the fd (close-on-exec) with *SIZE
 * the file's size, -ENOENT when there is nothing to read (no file yet, or
 * a device such as /dev/null), or -errno with ERR (-ELOOP: a symbolic
 * link, not followed; -EPERM: not a regular file). */
int logfile_open_read(const char *path, uint64_t *size, char *err, size_t errlen);

#endif
