# corral — a process supervisor for Linux.
# Plain make: strict warnings by default, -MMD -MP dependencies, PREFIX and
# DESTDIR on every install rule, SAN=address,undefined for sanitizer builds.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
# corrald's default config is /etc/corral/corral.conf whatever PREFIX is,
# hence SYSCONFDIR's default; `make install` writes it there.
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR      ?= $(PREFIX)/share/doc/corral

CC        ?= cc
PKGS      := inih libseccomp libcap expat nettle liburiparser jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -linih -lseccomp -lcap -lexpat -lnettle -luriparser -ljansson)
# http-parser (Node.js's, packaged by Debian) ships no .pc file; libresolv
# has b64_pton for Basic auth.
PKG_LIBS   += -lhttp_parser -lresolv

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter
HARDEN    := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
OPT       ?= -O2 -g
CFLAGS    ?= $(OPT)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(PKG_CFLAGS) -I. \
             -DCORRAL_VERSION='"$(VERSION)"' $(CFLAGS) -MMD -MP
LDHARDEN  := -pie -Wl,-z,relro,-z,now
ALL_LDFLAGS = $(LDHARDEN) $(LDFLAGS)

# SAN=address,undefined builds everything with sanitizers into build-san/.
ifneq ($(SAN),)
BUILD     ?= build-san
ALL_CFLAGS += -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer -U_FORTIFY_SOURCE
ALL_LDFLAGS += -fsanitize=$(SAN)
else
BUILD     ?= build
endif

# Objects shared by the daemon and its unit tests (everything but main).
SUP_SRCS  := supervisor/log.c supervisor/mainlog.c supervisor/config.c supervisor/cfgread.c supervisor/cfgload.c \
             supervisor/cfgexpand.c supervisor/cfgkey.c supervisor/cfgprog.c \
             supervisor/cfgsect.c supervisor/cfgcheck.c supervisor/signame.c supervisor/cmdline.c \
             supervisor/heap.c supervisor/loop.c supervisor/hooks.c \
             supervisor/program.c supervisor/pidmap.c \
             supervisor/spawn.c supervisor/control.c supervisor/ctllog.c supervisor/ctltop.c supervisor/supervisor.c \
             supervisor/sdnotify.c supervisor/cgroup.c supervisor/guard.c supervisor/strategy.c \
             supervisor/logline.c supervisor/tokenbucket.c supervisor/logstream.c supervisor/logfile.c \
             supervisor/logbuild.c supervisor/ansi.c supervisor/pyrepr.c supervisor/echo.c supervisor/devlog.c \
             supervisor/sockets.c supervisor/poolcfg.c supervisor/pool.c supervisor/poolcarry.c supervisor/cgroup1.c supervisor/usage.c supervisor/procfs.c \
             supervisor/supervisord.c supervisor/xmlrpc.c supervisor/httpreq.c supervisor/http.c supervisor/rpc.c \
             supervisor/rcall.c supervisor/sdview.c supervisor/rpclog.c supervisor/rpcconfig.c \
             supervisor/web.c supervisor/restartq.c supervisor/webpage.c supervisor/webform.c \
             supervisor/eventproto.c supervisor/events.c supervisor/path.c \
             supervisor/sdlog.c supervisor/state.c supervisor/procstatus.c \
             supervisor/handover.c supervisor/reexec.c \
             supervisor/promtext.c supervisor/sockstat.c supervisor/metrics.c \
             supervisor/healthspec.c supervisor/probe.c supervisor/health.c supervisor/healthctl.c
# The supervision core, one file per concept (DESIGN.md, Layout).
SUP_SRCS  += supervisor/core.c supervisor/pipeline.c supervisor/process.c \
             supervisor/deps.c supervisor/group.c supervisor/notify.c supervisor/roster.c \
             supervisor/reload.c
# Schedules: the cron arithmetic (pure) and the part that starts programs by it.
SUP_SRCS  += supervisor/cron.c supervisor/schedule.c
# ready = log:REGEX; restarts on changes of files (inotify), and its pure matching.
SUP_SRCS  += supervisor/readylog.c supervisor/readyline.c supervisor/watch.c supervisor/watchmatch.c
# Rolling restarts: the state machine on the core's face, and its verb.
SUP_SRCS  += supervisor/roll.c supervisor/rollctl.c
# corralctl scale: the verb (the core's part is in roster.c).
SUP_SRCS  += supervisor/scalectl.c
# The JSON API: its routes, its objects, its event stream, its OpenAPI document.
SUP_SRCS  += supervisor/api.c supervisor/apijson.c supervisor/apievents.c supervisor/apidoc.c
IPC_SRCS  := ipc/proto.c ipc/io.c ipc/channel.c ipc/framing.c ipc/utf8.c ipc/verbs.c \
             ipc/statusjson.c
# corralctl's own files; the ipc/ objects and the config reader it links are below.
CTL_SRCS  := ctl/corralctl.c ctl/submit.c ctl/migrate.c ctl/top.c ctl/toprows.c
SBX_SRCS  := sandbox/fds.c sandbox/sandbox.c sandbox/users.c sandbox/caps.c sandbox/filter.c \
             sandbox/namespaces.c sandbox/mounts.c sandbox/rlimits.c sandbox/limits.c
# The parts of the sandbox the config reader uses (everything but fds).
SBX_CFG_SRCS := $(filter-out sandbox/fds.c,$(SBX_SRCS))
SBX_OBJS  := $(SBX_CFG_SRCS:%.c=$(BUILD)/%.o)
LIB_SRCS  := $(SUP_SRCS) $(IPC_SRCS) $(SBX_SRCS)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)

CORRALD   := $(BUILD)/corrald
CORRALCTL := $(BUILD)/corralctl

UNIT_TESTS := config cfgprog signame cmdline heap program proto pidmap cgroup strategy \
              tokenbucket logline logbuild logfile sockets
# The event loop: watches on real pipes, deadlines on the real timerfd;
# and the core's hook list, which the parts above it subscribe to.
UNIT_TESTS += loop hooks
# Pools: the bounded queue, the framing of jobs, the [pool:] keys.
UNIT_TESTS += channel framing poolcfg
# The control protocol's verbs, the table corralctl and corrald share.
UNIT_TESTS += verbs
# The supervisord-compatible XML-RPC server: its value reader and writer;
# the HTTP server it is routes of, and the requests that reads.
UNIT_TESTS += xmlrpc http httpreq webform
# supervisord's event listener protocol (eventproto.c), and its pools at
# run time (events.c) with the event loop faked.
UNIT_TESTS += events events_loop
# The sandbox's, one per file of sandbox/ (sandbox_config: its keys in a config).
UNIT_TESTS += rlimits users sandbox_config caps filter sandbox namespaces mounts limits
# corralctl migrate: the values it writes read back the same; and the
# config reader's public face, which it and corralctl -c read through.
UNIT_TESTS += migrate config_api
# Paths built from names (cgroup leaves, log files) stay in their directory.
UNIT_TESTS += path
# supervisord's log lines (sdlog.c) and its checks of a command (spawn.c).
UNIT_TESTS += sdlog
# supervisord's strip_ansi; Python's repr(), for what must read as supervisord's.
UNIT_TESTS += ansi pyrepr
# A process's output in corrald's log at debug, in supervisord's words; and
# in syslog, never waiting for it.
UNIT_TESTS += echo devlog
# corrald's own messages: a line, a write.
UNIT_TESTS += log
# ready = log:'s lines, and watch_exclude = globs (pure parts)
UNIT_TESTS += readyline watchmatch
# what corralctl disable and enable keep in state_dir
UNIT_TESTS += state
# the record corrald hands to the corrald it execs
UNIT_TESTS += handover
UNIT_TESTS += procfs
# Prometheus's text formats: samples, escapes, and what an Accept asks for
UNIT_TESTS += promtext
# a listening socket's accept queue, on real sockets
UNIT_TESTS += sockstat
# health checks: what healthcheck = says, HTTP status lines, failure counting
UNIT_TESTS += healthspec
# schedules: cron expressions and their next trigger (month ends, leap days, DST)
UNIT_TESTS += cron
# the JSON API's objects: status fields as status --json's object, UTF-8, errors
UNIT_TESTS += apijson
# corralctl top's table: records kept by name, sorted, filtered, grouped, its cells
UNIT_TESTS += toprows
UNIT_BINS  := $(UNIT_TESTS:%=$(BUILD)/tests/unit/test_%)

.PHONY: all run check check-unit check-includes check-san check-e2e install uninstall clean \
        deps fuzz fuzz-merge bench lint-man install-extra uninstall-extra dist deb rpm
all: $(CORRALD) $(CORRALCTL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the document is taken whole by the assembler (.incbin): -MMD cannot see it
$(BUILD)/supervisor/apidoc.o: doc/openapi.json

$(CORRALD): $(BUILD)/supervisor/main.o $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# corralctl is linked statically (static-pie: still position independent,
# still RELRO): it runs once per command, and skipping the dynamic loader
# makes a status round trip cheaper than spawning a dynamic /bin/true.
ifeq ($(SAN),)
CTL_LDFLAGS := -static-pie -Wl,-z,relro,-z,now $(LDFLAGS)
CTL_LIBS    := -l:libinih.a -l:libseccomp.a -l:libcap.a -l:libncursesw.a -l:libtinfo.a \
               -l:libjansson.a
else
CTL_LDFLAGS := $(ALL_LDFLAGS)
CTL_LIBS    := -linih -lseccomp -lcap -lncursesw -ltinfo -ljansson
endif
# corrald's config reader, for its unit tests and the programs beside corrald.
CONFIG_OBJS := $(BUILD)/supervisor/config.o $(BUILD)/supervisor/cfgread.o \
               $(BUILD)/supervisor/cfgload.o $(BUILD)/supervisor/cfgexpand.o \
               $(BUILD)/supervisor/cfgkey.o $(BUILD)/supervisor/cfgprog.o \
               $(BUILD)/supervisor/cfgsect.o $(BUILD)/supervisor/cfgcheck.o \
               $(BUILD)/supervisor/signame.o $(BUILD)/supervisor/cron.o \
               $(BUILD)/supervisor/cmdline.o $(BUILD)/supervisor/log.o \
               $(BUILD)/supervisor/healthspec.o \
               $(BUILD)/supervisor/logline.o $(BUILD)/supervisor/sockets.o \
               $(BUILD)/supervisor/handover.o \
               $(BUILD)/supervisor/poolcfg.o $(BUILD)/supervisor/supervisord.o \
               $(BUILD)/supervisor/eventproto.o $(BUILD)/ipc/io.o $(SBX_OBJS)
# ...and through its public face (config_api.h), what corralctl links:
# -c FILE finds its socket and migrate reads supervisord's file with it.
CONFIG_API_OBJS := $(BUILD)/supervisor/config_api.o $(CONFIG_OBJS)
$(CORRALCTL): $(CTL_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/ipc/proto.o $(BUILD)/ipc/utf8.o \
              $(BUILD)/ipc/framing.o $(BUILD)/ipc/verbs.o $(BUILD)/ipc/statusjson.o \
              $(CONFIG_API_OBJS)
	$(CC) $(CTL_LDFLAGS) -o $@ $^ $(CTL_LIBS)

# Each unit test links only the objects it tests.
$(BUILD)/tests/unit/test_%: $(BUILD)/tests/unit/test_%.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka
$(BUILD)/tests/unit/test_config: $(CONFIG_OBJS)
# the program key table is complete: every field has a row
$(BUILD)/tests/unit/test_cfgprog: $(CONFIG_OBJS)
$(BUILD)/tests/unit/test_cmdline: $(BUILD)/supervisor/cmdline.o
$(BUILD)/tests/unit/test_signame: $(BUILD)/supervisor/signame.o
$(BUILD)/tests/unit/test_heap: $(BUILD)/supervisor/heap.o
$(BUILD)/tests/unit/test_cron: $(BUILD)/supervisor/cron.o
# procstatus_fill() and the HTTP answers are the test's own fakes
$(BUILD)/tests/unit/test_apijson: $(BUILD)/supervisor/apijson.o $(BUILD)/supervisor/log.o \
                                $(BUILD)/ipc/utf8.o $(BUILD)/ipc/statusjson.o
$(BUILD)/tests/unit/test_loop: $(BUILD)/supervisor/loop.o $(BUILD)/supervisor/heap.o \
                             $(BUILD)/supervisor/log.o $(BUILD)/ipc/io.o
$(BUILD)/tests/unit/test_hooks: $(BUILD)/supervisor/hooks.o
$(BUILD)/tests/unit/test_xmlrpc: $(BUILD)/supervisor/xmlrpc.o
$(BUILD)/tests/unit/test_httpreq: $(BUILD)/supervisor/httpreq.o
$(BUILD)/tests/unit/test_webform: $(BUILD)/supervisor/webform.o
$(BUILD)/tests/unit/test_http: $(BUILD)/supervisor/http.o $(BUILD)/supervisor/httpreq.o \
                             $(BUILD)/supervisor/loop.o $(BUILD)/supervisor/heap.o \
                             $(BUILD)/supervisor/handover.o \
                             $(CONFIG_OBJS)
$(BUILD)/tests/unit/test_pidmap: $(BUILD)/supervisor/pidmap.o
$(BUILD)/tests/unit/test_cgroup: $(BUILD)/supervisor/cgroup.o $(BUILD)/ipc/io.o \
                             $(BUILD)/supervisor/path.o $(BUILD)/supervisor/cgroup1.o \
                             $(BUILD)/sandbox/limits.o
$(BUILD)/tests/unit/test_path: $(BUILD)/supervisor/path.o
$(BUILD)/tests/unit/test_procfs: $(BUILD)/supervisor/procfs.o
$(BUILD)/tests/unit/test_promtext: $(BUILD)/supervisor/promtext.o
$(BUILD)/tests/unit/test_sockstat: $(BUILD)/supervisor/sockstat.o
$(BUILD)/tests/unit/test_ansi: $(BUILD)/supervisor/ansi.o
$(BUILD)/tests/unit/test_pyrepr: $(BUILD)/supervisor/pyrepr.o $(BUILD)/ipc/utf8.o
$(BUILD)/tests/unit/test_echo: $(BUILD)/supervisor/echo.o $(BUILD)/supervisor/pyrepr.o \
                             $(BUILD)/ipc/utf8.o
# connect(2) and send(2) faked: no syslog daemon needed
$(BUILD)/tests/unit/test_log: $(BUILD)/supervisor/log.o
$(BUILD)/tests/unit/test_handover: $(BUILD)/supervisor/handover.o $(BUILD)/ipc/io.o
$(BUILD)/tests/unit/test_state: $(BUILD)/supervisor/state.o $(BUILD)/ipc/io.o $(BUILD)/supervisor/log.o
$(BUILD)/tests/unit/test_devlog: $(BUILD)/supervisor/devlog.o
$(BUILD)/tests/unit/test_devlog: ALL_LDFLAGS += -Wl,--wrap=connect,--wrap=send
$(BUILD)/tests/unit/test_strategy: $(BUILD)/supervisor/strategy.o
$(BUILD)/tests/unit/test_tokenbucket: $(BUILD)/supervisor/tokenbucket.o
$(BUILD)/tests/unit/test_logline: $(BUILD)/supervisor/logline.o
$(BUILD)/tests/unit/test_logbuild: $(BUILD)/supervisor/logbuild.o $(BUILD)/supervisor/logline.o
$(BUILD)/tests/unit/test_logfile: $(BUILD)/supervisor/logfile.o $(BUILD)/supervisor/logline.o
$(BUILD)/tests/unit/test_program: $(BUILD)/supervisor/program.o
$(BUILD)/tests/unit/test_healthspec: $(BUILD)/supervisor/healthspec.o $(BUILD)/supervisor/probe.o \
                             $(BUILD)/supervisor/loop.o $(BUILD)/supervisor/heap.o \
                             $(BUILD)/supervisor/log.o $(BUILD)/ipc/io.o
$(BUILD)/tests/unit/test_sdlog: $(BUILD)/supervisor/sdlog.o $(BUILD)/supervisor/log.o \
                               $(BUILD)/supervisor/spawn.o $(BUILD)/ipc/io.o $(BUILD)/sandbox/fds.o \
                               $(SBX_OBJS)
$(BUILD)/tests/unit/test_proto: $(BUILD)/ipc/proto.o
$(BUILD)/tests/unit/test_rlimits: $(BUILD)/sandbox/rlimits.o
$(BUILD)/tests/unit/test_users: $(BUILD)/sandbox/users.o
$(BUILD)/tests/unit/test_sandbox_config: $(CONFIG_OBJS)
$(BUILD)/tests/unit/test_caps: $(BUILD)/sandbox/caps.o
$(BUILD)/tests/unit/test_filter: $(BUILD)/sandbox/filter.o
$(BUILD)/tests/unit/test_sandbox: $(SBX_OBJS) $(BUILD)/ipc/io.o
$(BUILD)/tests/unit/test_namespaces: $(BUILD)/sandbox/namespaces.o
$(BUILD)/tests/unit/test_mounts: $(BUILD)/sandbox/mounts.o
$(BUILD)/tests/unit/test_limits: $(BUILD)/sandbox/limits.o $(BUILD)/ipc/io.o
$(BUILD)/tests/unit/test_readyline: $(BUILD)/supervisor/readyline.o
$(BUILD)/tests/unit/test_watchmatch: $(BUILD)/supervisor/watchmatch.o
# the address parser, the held set, and the [socket:] sections the config reads
$(BUILD)/tests/unit/test_sockets: $(CONFIG_OBJS)
$(BUILD)/tests/unit/test_channel: $(BUILD)/ipc/channel.o
$(BUILD)/tests/unit/test_framing: $(BUILD)/ipc/framing.o $(BUILD)/ipc/proto.o
$(BUILD)/tests/unit/test_verbs: $(BUILD)/ipc/verbs.o
$(BUILD)/tests/unit/test_toprows: $(BUILD)/ctl/toprows.o $(BUILD)/ipc/proto.o
# the [pool:] keys, through the config reader as a user writes them
$(BUILD)/tests/unit/test_poolcfg: $(CONFIG_OBJS)
$(BUILD)/tests/unit/test_migrate: $(BUILD)/ctl/migrate.o $(CONFIG_API_OBJS)
$(BUILD)/tests/unit/test_config_api: $(CONFIG_API_OBJS)
# the event listener protocol: pure logic, no event loop
$(BUILD)/tests/unit/test_events: $(BUILD)/supervisor/eventproto.o
$(BUILD)/tests/unit/test_events_loop: $(BUILD)/supervisor/events.o $(BUILD)/supervisor/eventproto.o \
                                      $(BUILD)/supervisor/hooks.o $(BUILD)/supervisor/handover.o \
                                      $(BUILD)/supervisor/program.o $(BUILD)/ipc/io.o $(BUILD)/sandbox/limits.o \
                                      $(BUILD)/supervisor/echo.o $(BUILD)/supervisor/pyrepr.o \
                                      $(BUILD)/ipc/utf8.o $(BUILD)/supervisor/sdlog.o

# Missing Debian packages are installed first (as root), so that `make run`
# and `make check` work on a fresh machine.
deps:
	@sh packaging/deps.sh

run: deps
	$(MAKE) all
	$(CORRALD) -c examples/demo.conf

# The include graph is checked first (tests/check-includes.py: each folder
# includes only the layers below it); the unit tests run plainly, then again
# under ASan+UBSan; then the end-to-end tests drive the real binaries.
check: deps
	$(MAKE) all $(UNIT_BINS)
	$(MAKE) SAN=address,undefined all $(UNIT_BINS:$(BUILD)/%=build-san/%)
	@# Both compilers must be clean with the same strict flags.
	@if command -v clang >/dev/null 2>&1; then \
	    $(MAKE) -s CC=clang BUILD=build-clang all $(UNIT_BINS:$(BUILD)/%=build-clang/%); \
	else echo "check: clang not installed, gcc build only"; fi
	@sh tests/run-all.sh $(BUILD) build-san

check-unit: all $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

check-includes:
	@/usr/bin/python3 tests/check-includes.py

# The binaries, the man pages, and the config corrald reads by default
# (never over one already there), so that `corrald` runs after it.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	        $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	        $(DESTDIR)$(SYSCONFDIR)/corral/conf.d
	install -m 0755 $(CORRALD) $(DESTDIR)$(SBINDIR)/corrald
	install -m 0755 $(CORRALCTL) $(DESTDIR)$(BINDIR)/corralctl
	install -m 0644 man/corralctl.1 $(DESTDIR)$(MANDIR)/man1/corralctl.1
	install -m 0644 man/corral.conf.5 $(DESTDIR)$(MANDIR)/man5/corral.conf.5
	install -m 0644 man/corrald.8 $(DESTDIR)$(MANDIR)/man8/corrald.8
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/corral/corral.conf ]; then \
	    echo "keeping $(DESTDIR)$(SYSCONFDIR)/corral/corral.conf"; \
	else \
	    echo "install -m 0644 packaging/corral.conf $(DESTDIR)$(SYSCONFDIR)/corral/corral.conf"; \
	    sed 's,/etc/corral/,$(SYSCONFDIR)/corral/,g' packaging/corral.conf \
	        >$(DESTDIR)$(SYSCONFDIR)/corral/corral.conf; \
	    chmod 0644 $(DESTDIR)$(SYSCONFDIR)/corral/corral.conf; \
	fi

# Like dpkg -r, this leaves the config alone.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/corrald $(DESTDIR)$(BINDIR)/corralctl \
	      $(DESTDIR)$(MANDIR)/man1/corralctl.1 $(DESTDIR)$(MANDIR)/man5/corral.conf.5 \
	      $(DESTDIR)$(MANDIR)/man8/corrald.8

# The files a packaged corral adds to `make install`: the systemd unit
# (its paths follow SBINDIR and SYSCONFDIR), bash completion, the
# example configs and the JSON API's OpenAPI document.
install-extra:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples
	sed -e 's,/usr/sbin/corrald,$(SBINDIR)/corrald,g' -e 's,/etc/corral/,$(SYSCONFDIR)/corral/,g' \
	    packaging/corrald.service >$(DESTDIR)$(UNITDIR)/corrald.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/corrald.service
	install -m 0644 packaging/bash-completion/corralctl $(DESTDIR)$(BASHCOMPDIR)/corralctl
	install -m 0644 examples/*.conf $(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 doc/openapi.json $(DESTDIR)$(DOCDIR)/openapi.json

uninstall-extra:
	rm -f $(DESTDIR)$(UNITDIR)/corrald.service $(DESTDIR)$(BASHCOMPDIR)/corralctl
	rm -rf $(DESTDIR)$(DOCDIR)

# ---- packages ----------------------------------------------------------
# `make dist` packs the files git knows of (tracked, plus untracked ones not
# ignored: what `git add -A` would commit) as they are in the work tree, so a
# change can be packaged before it is committed. Both packages build from
# that tarball, unpacked under dist/work/, never in the source tree.
# Version numbers live in three places; dist refuses to run when they differ.
# The temporary files have $$ in their names because `make -j deb rpm` runs
# two of these at once.
DIST      := corral-$(VERSION)
DISTWORK  := dist/work

dist:
	@sh packaging/deps.sh dist
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
	    { echo "make dist: needs git and a git work tree" >&2; exit 1; }
	@deb=$$(sed -n '1s/^corral (\([^)]*\)).*/\1/p' packaging/debian/changelog); \
	rpm=$$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/corral.spec); \
	if [ "$$deb" != "$(VERSION)" ] || [ "$$rpm" != "$(VERSION)" ]; then \
	    echo "make dist: version $(VERSION) in Makefile, '$$deb' in" \
	         "packaging/debian/changelog, '$$rpm' in packaging/rpm/corral.spec" >&2; \
	    exit 1; \
	fi
	@mkdir -p dist
	git ls-files -z --cached --others --exclude-standard | sort -zu | \
	    xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done; :' sh \
	    >dist/.files.$$$$ && \
	tar --create --no-recursion --null --files-from=dist/.files.$$$$ \
	    --owner=0 --group=0 --numeric-owner --mode=u+rw,go-w,go+r \
	    --mtime=@$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
	    --transform='s,^,$(DIST)/,' --file=dist/.tar.$$$$ && \
	gzip -9n <dist/.tar.$$$$ >dist/.tar.gz.$$$$ && \
	mv -f dist/.tar.gz.$$$$ dist/$(DIST).tar.gz; \
	rc=$$?; rm -f dist/.files.$$$$ dist/.tar.$$$$ dist/.tar.gz.$$$$; exit $$rc

# dpkg-buildpackage wants debian/ at the top of the tree it builds; it is
# kept in packaging/debian so that the source tree has one packaging folder.
deb:
	@sh packaging/deps.sh packaging
	$(MAKE) dist
	rm -rf $(DISTWORK)/deb && mkdir -p $(DISTWORK)/deb
	tar -xzf dist/$(DIST).tar.gz -C $(DISTWORK)/deb
	cp -R $(DISTWORK)/deb/$(DIST)/packaging/debian $(DISTWORK)/deb/$(DIST)/debian
	cd $(DISTWORK)/deb/$(DIST) && dpkg-buildpackage -us -uc -b -Jauto
	rm -f dist/corral_*.deb dist/corral-dbgsym_*.deb
	cp $(DISTWORK)/deb/*.deb dist/
	lintian -I --fail-on error,warning $(DISTWORK)/deb/corral_$(VERSION)_*.changes
	rm -rf $(DISTWORK)/deb
	rmdir $(DISTWORK) 2>/dev/null || :
	@ls dist/corral_$(VERSION)_*.deb

# --nodeps: rpmbuild checks BuildRequires against rpm's own database, which
# on Debian knows nothing of the compilers and libraries dpkg installed
# (packaging/deps.sh installs them). rpmlint fails on errors, not on
# warnings; its filters, each with its reason, are in
# packaging/rpm/corral.rpmlintrc.
rpm:
	@sh packaging/deps.sh packaging
	$(MAKE) dist
	rm -rf $(DISTWORK)/rpm && mkdir -p $(DISTWORK)/rpm
	rpmbuild -tb --nodeps --define '_topdir $(CURDIR)/$(DISTWORK)/rpm' dist/$(DIST).tar.gz
	rm -f dist/corral-$(VERSION)-*.rpm
	cp $(DISTWORK)/rpm/RPMS/*/corral-*.rpm dist/
	rpmlint -r packaging/rpm/corral.rpmlintrc dist/corral-$(VERSION)-*.rpm
	rm -rf $(DISTWORK)/rpm
	rmdir $(DISTWORK) 2>/dev/null || :
	@ls dist/corral-$(VERSION)-*.rpm

lint-man:
	mandoc -Tlint -W warning man/corrald.8 man/corralctl.1 man/corral.conf.5

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS. Each starts from
# its corpus in the repository, tests/fuzz/corpus/NAME (read only: what a
# run finds goes to build-fuzz/corpus-NAME); `make fuzz-merge` folds those
# finds, minimized, back into the repository's corpora.
FUZZ_SECONDS ?= 30
FUZZ_NAMES   := config proto framing xmlrpc http
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -I. $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
              -DCORRAL_VERSION='"$(VERSION)"'
FUZZ_SRCS_config  := supervisor/config.c supervisor/cfgread.c supervisor/cfgload.c \
                     supervisor/cfgexpand.c supervisor/cfgkey.c supervisor/cfgprog.c \
                     supervisor/cfgsect.c supervisor/cfgcheck.c supervisor/signame.c \
                     supervisor/cmdline.c \
                     supervisor/log.c supervisor/logline.c \
                     supervisor/sockets.c supervisor/poolcfg.c supervisor/supervisord.c \
                     supervisor/eventproto.c ipc/io.c $(SBX_CFG_SRCS)
FUZZ_SRCS_proto   := ipc/proto.c
FUZZ_SRCS_framing := ipc/framing.c ipc/proto.c
FUZZ_SRCS_xmlrpc  := supervisor/xmlrpc.c
# the HTTP server's request reader, fed what a client would send
FUZZ_SRCS_http    := supervisor/httpreq.c
FUZZ_BINS := $(FUZZ_NAMES:%=build-fuzz/fuzz_%)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(PKG_LIBS)

fuzz:
	@sh packaging/deps.sh fuzz
	$(MAKE) $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p build-fuzz/corpus-$$n tests/fuzz/corpus/$$n || exit 1; \
	    extra=; [ $$n = config ] && extra=$(CURDIR)/examples; \
	    echo "build-fuzz/fuzz_$$n: $(FUZZ_SECONDS) s"; \
	    len=4096; [ $$n = xmlrpc ] || [ $$n = http ] && len=8192; \
	    $(CURDIR)/build-fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$$len \
	        $(CURDIR)/build-fuzz/corpus-$$n $(CURDIR)/tests/fuzz/corpus/$$n $$extra || exit 1; \
	done

fuzz-merge:
	@for n in $(FUZZ_NAMES); do \
	    mkdir -p tests/fuzz/corpus/$$n build-fuzz/corpus-$$n || exit 1; \
	    $(CURDIR)/build-fuzz/fuzz_$$n -merge=1 $(CURDIR)/tests/fuzz/corpus/$$n \
	        $(CURDIR)/build-fuzz/corpus-$$n || exit 1; \
	done

bench: deps
	$(MAKE) all $(BUILD)/bench/sandbox_bench
	$(BUILD)/bench/sandbox_bench
	@sh packaging/deps.sh bench
	@sh bench/run.sh $(BUILD)

# What the sandbox costs a spawn (bench/sandbox_bench.c): corral's own
# spawner and config reader, no daemon.
$(BUILD)/bench/sandbox_bench: $(BUILD)/bench/sandbox_bench.o $(BUILD)/supervisor/spawn.o \
		$(BUILD)/sandbox/fds.o $(BUILD)/ipc/io.o $(CONFIG_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

clean:
	rm -rf build build-san build-clang build-fuzz dist

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
