/* rpcconfig — supervisord's XML-RPC methods on the config: read it again
 * and say what changed (reloadConfig), add and remove the groups it
 * changed (addProcessGroup, removeProcessGroup), and list what it holds
 * with supervisord's fields, values and order (getAllConfigInfo).
 *
 * Listed in rpc.c's table of methods, each with its signature and help;
 * the calls are rcall.h's. The reread and the groups' changes are the
 * core's (supervisor.h); here is only what supervisord answers. */
#ifndef CORRAL_RPCCONFIG_H
#define CORRAL_RPCCONFIG_H

#include <stdbool.h>

struct rcall;
struct xval;

void rpcconfig_reload(struct rcall *rc, const struct xval *pa);
void rpcconfig_add_group(struct rcall *rc, const struct xval *pa);
void rpcconfig_remove_group(struct rcall *rc, const struct xval *pa);
void rpcconfig_all_info(struct rcall *rc, const struct xval *pa);

/* supervisorctl's update of a group whose programs roll in place
 * (update_strategy = rolling, reload.h): its calls come on one connection,
 * reloadConfig naming the group changed, then stopProcessGroup,
 * removeProcessGroup and addProcessGroup of it. On that connection, after
 * that reloadConfig, the stop and the remove change nothing (the stop
 * answers an empty list) and the add takes the new settings in place and
 * begins the roll. A stop on any other connection (supervisorctl stop)
 * stops. True: RC's stopProcessGroup of NAME is such a stop. */
bool rpcconfig_update_skips_stop(struct rcall *rc, const char *name);

#endif
