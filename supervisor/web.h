/* web — supervisord's web page, served by corrald on each of its HTTP
 * servers (http.h) with the XML-RPC interface's credentials: the status
 * page at / and /index.html, its actions (index.html?processname=NAME&
 * action=start|stop|restart|clearlog, ?action=restartall|stopall|refresh)
 * and the tail page /tail.html?processname=NAME. /logtail/ is rpc.c's.
 *
 * An action goes through the core's verbs, as the XML-RPC methods do, and
 * is answered at once: a 303 to "/?message=...", the page that says what
 * was done ("Process web stopping"); the page shows where it got to on its
 * next refresh. A restart starts the process again once it is down (the
 * core publishes it, hooks.h). An action that comes from another site
 * (webform.h's rule) is refused with a 403 that says why; reading a page
 * is not. The HTML is webpage.c's. */
#ifndef CORRAL_WEB_H
#define CORRAL_WEB_H

/* Register the routes and the hook. 0, or -ENOSPC. */
int web_init(void);

#endif
