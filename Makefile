# tk: Unix-style container tools. See README.md.
include config.mk

TOOLS  = tk tk-pull tk-run tk-ls tk-rm tk-stats tk-login
LIBOBJ = lib/err.o lib/util.o lib/store.o lib/json.o lib/image.o lib/container.o \
         lib/userns.o lib/helper.o lib/layer.o lib/digest.o lib/idmap.o lib/pull.o lib/cgroup-spec.o \
         lib/ref.o lib/http.o lib/auth.o lib/credhelper.o lib/interrupt.o lib/registry.o lib/registry-fetch.o
# Detached containers (issue 5).
TOOLS  += tk-logs tk-stop tk-inspect tk-exec tk-start tk-doctor
LIBOBJ += lib/monitor.o lib/logs.o lib/user.o lib/pty.o lib/start.o
LIBOBJ += lib/cli.o
LIBOBJ += lib/lscache.o
# The container runtime: starting and entering containers as the caller.
LIBOBJ += rt/run.o rt/mount.o rt/payload.o rt/init.o rt/die.o
HOBJ   = helper/main.o helper/policy.o helper/start.o helper/idmap.o \
         helper/util.o helper/cgroup.o helper/join.o helper/check.o

# Only the tools that need a library link it (STYLE.md).
LIBS_tk      =
LIBS_tk-pull = -larchive -ljansson -lcrypto -lcurl
LIBS_tk-login = -ljansson -lcrypto -lcurl
# tk-run is on the start-up path: linked static, no dynamic loader to run
# (3-4 ms less CPU per start on the test machine). It calls getpwuid only
# when $HOME is unset, the one use of glibc's NSS modules from a static
# program. Sanitizer builds cannot be static.
ifeq ($(SANITIZE),1)
LIBS_tk-run  = -Wl,-Bstatic -ljansson -Wl,-Bdynamic
else
LIBS_tk-run  = -static -ljansson
endif
LIBS_tk-ls   = -ljansson
LIBS_tk-rm   = -ljansson
LIBS_tk-stats = -ljansson
LIBS_tk-logs = -ljansson
LIBS_tk-stop = -ljansson
LIBS_tk-inspect = -ljansson
LIBS_tk-exec = -ljansson
LIBS_tk-start = -ljansson

# tk-exec and tk-ls are timed against runc exec and on large stores:
# linked static, no dynamic loader to run (about 2.7 ms of CPU less per
# call on the test machine). Their one use of glibc's NSS is getpwuid when
# $HOME is unset. Sanitizer builds cannot be static.
ifneq ($(SANITIZE),1)
LIBS_tk-exec = -static -ljansson
LIBS_tk-ls   = -static -ljansson
endif

all: $(addprefix bin/,$(TOOLS)) helper/tk-helper bin/tk-monitor

lib/libtk.a: $(LIBOBJ)
	$(AR) rcs $@ $^

# The flags of the last build: a change (make SANITIZE=1 after make)
# rebuilds every object instead of mixing two builds (not PREFIX: an
# install to another PREFIX keeps the objects).
build-flags: FORCE
	@echo '$(CC) $(CFLAGS) $(HARDEN) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(HARDEN) $(LDFLAGS)' >$@

lib/%.o: lib/%.c lib/*.h helper/protocol.h build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Werror -c -o $@ $<

bin/%.o: bin/%.c lib/*.h rt/*.h helper/protocol.h build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Werror -c -o $@ $<

# The runtime: libc only (tk-monitor is static and small), no lib/ but
# lib/helper.c's helper_argv.
rt/%.o: rt/%.c $(filter-out rt/seccomp-bpf.h,$(wildcard rt/*.h)) lib/helper.h lib/sanitize.h \
		helper/protocol.h build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(WARN) -Werror -c -o $@ $<

bin/%: bin/%.o lib/libtk.a $(SANOBJ)
	$(CC) $(LDFLAGS) -o $@ $< lib/libtk.a $(SANOBJ) $(LIBS_$*)

# The monitor of detached containers: libc and the runtime only, static,
# small (its RSS is per running container).
bin/tk-monitor: bin/tk-monitor.c lib/libtk.a build-flags $(SANOBJ)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Werror $(STATIC) -o $@ $< lib/libtk.a $(SANOBJ)

# The helper: hardened flags, warnings are errors, libc only (SECURITY.md 2, 31).
helper/%.o: helper/%.c $(wildcard helper/*.h) build-flags
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(WARN) -Werror -c -o $@ $<

# The seccomp filter is compiled at build time with libseccomp, by a tool
# that runs unprivileged; the runtime gets only the finished BPF program.
# The generated rt/seccomp-bpf.h is left out of rt's glob above (it would
# appear only after the first build and rebuild everything).
tools/mkseccomp: tools/mkseccomp.c
	$(CC) -O2 $(WARN) -Werror -o $@ $< -lseccomp

rt/seccomp-bpf.h: tools/mkseccomp
	tools/mkseccomp >$@.tmp && mv $@.tmp $@

rt/payload.o: rt/seccomp-bpf.h

helper/tk-helper: $(HOBJ) $(SANOBJ)
	$(CC) $(LDFLAGS) $(HLDFLAGS) -o $@ $^

install: all
	@if [ "$(SANITIZE)" = 1 ] && [ -z "$(DESTDIR)" ]; then \
		echo "make install: a SANITIZE=1 build is for tests only (DESTDIR=... for a test tree)" >&2; exit 1; fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/sudoers.d
	install -m 0755 $(addprefix bin/,$(TOOLS)) $(DESTDIR)$(BINDIR)/
	install -m 0755 helper/tk-helper $(DESTDIR)$(LIBEXECDIR)/tk-helper
	install -m 0755 bin/tk-monitor $(DESTDIR)$(LIBEXECDIR)/tk-monitor
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(COMPDIR)
	install -m 0644 completion/tk.bash $(DESTDIR)$(COMPDIR)/tk
	for t in $(filter-out tk,$(TOOLS)); do ln -sf tk $(DESTDIR)$(COMPDIR)/$$t; done
	install -m 0644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' sudoers.d/tk.in > $(DESTDIR)$(SYSCONFDIR)/sudoers.d/tk.example
	chmod 0440 $(DESTDIR)$(SYSCONFDIR)/sudoers.d/tk.example
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		getent group tk >/dev/null || groupadd --system tk; \
		chown root:tk $(LIBEXECDIR)/tk-helper && chmod 4750 $(LIBEXECDIR)/tk-helper; \
		echo "installed $(LIBEXECDIR)/tk-helper setuid root, mode 4750 root:tk"; \
	else echo "note: run 'make setuid' as root to make the helper setuid 4750 root:tk"; fi

setuid:
	@if [ "$(SANITIZE)" = 1 ]; then echo "make setuid: not a SANITIZE=1 build" >&2; exit 1; fi
	getent group tk >/dev/null || groupadd --system tk
	chown root:tk $(DESTDIR)$(LIBEXECDIR)/tk-helper
	chmod 4750 $(DESTDIR)$(LIBEXECDIR)/tk-helper

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS)) $(DESTDIR)$(LIBEXECDIR)/tk-helper
	rm -f $(DESTDIR)$(LIBEXECDIR)/tk-monitor
	rm -f $(addprefix $(DESTDIR)$(COMPDIR)/,$(TOOLS))
	rm -f $(DESTDIR)$(SYSCONFDIR)/sudoers.d/tk.example
	cd man && for m in *.[178]; do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done

# One command sets everything up and runs a container (README, quick start).
quickstart:
	sh scripts/quickstart.sh

# T="tests/t0200-run-root.sh ..." runs chosen scripts.
check: all
	@if [ "$(SANITIZE)" = 1 ]; then mkdir -p $(SAN_LOG_DIR) && chmod 1777 $(SAN_LOG_DIR); fi
	TK_SANFLAGS='$(SANFLAGS)' sh tests/run.sh $(T)

# The helper's build flags, for tests that build a copy reading its tk.conf
# from a test directory (tests/t0810); never installed.
helper-flags:
	@echo $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(WARN) -Werror $(LDFLAGS) $(HLDFLAGS)

# The tests as root in a qemu VM with pure cgroup v2 (vm/README.md);
# T="tests/t0200-run-root.sh ..." runs chosen scripts. Builds here first:
# the guest sees this tree. check-vm-v1: the same on pure cgroup v1.
check-vm: all
	vm/run -- sh tests/run.sh $(T)

check-vm-v1: all
	vm/run --cgroup-v1 -- sh tests/run.sh $(T)

bench: all
	sh bench/run.sh

# libFuzzer targets (fuzz/, clang), each run for FUZZ_SECONDS; crashes
# land in fuzz/crashes/. The helper's sources are built with -DTK_FUZZ,
# which only makes die() return to the harness.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS  = helper-start-argv helper-conf lib-parsers lib-manifest lib-layer
FUZZ_CFLAGS   = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined $(CPPFLAGS) -DTK_FUZZ
FUZZ_HSRC     = $(filter-out helper/main.c,$(wildcard helper/*.c))

fuzz/bin/helper-start-argv: fuzz/helper-start-argv.c fuzz/argv.h helper/*.h $(FUZZ_HSRC)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out helper/start.c,$(FUZZ_HSRC))
fuzz/bin/helper-conf: fuzz/helper-conf.c fuzz/argv.h helper/*.h $(FUZZ_HSRC)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out helper/policy.c,$(FUZZ_HSRC))
fuzz/bin/lib-parsers: fuzz/lib-parsers.c lib/ref.c lib/cgroup-spec.c lib/util.c lib/err.c lib/*.h
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< lib/ref.c lib/cgroup-spec.c lib/util.c lib/err.c

# The targets on lib/pull.c and lib/layer.c include that file (its static
# parsers) and link the rest of lib.
FUZZ_LSRC     = $(filter-out lib/sanitize.c,$(wildcard lib/*.c))
FUZZ_LLIBS    = -larchive -ljansson -lcrypto -lcurl
fuzz/bin/lib-manifest: fuzz/lib-manifest.c lib/*.h $(FUZZ_LSRC)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out lib/pull.c,$(FUZZ_LSRC)) $(FUZZ_LLIBS)
fuzz/bin/lib-layer: fuzz/lib-layer.c lib/*.h $(FUZZ_LSRC)
	@mkdir -p fuzz/bin
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter-out lib/layer.c,$(FUZZ_LSRC)) $(FUZZ_LLIBS)

fuzz: $(addprefix fuzz/bin/,$(FUZZ_TARGETS))
	sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# CI's sanitizer stage (make check-asan): every script of the suite, as
# make check SANITIZE=1 would run them, plus the report check below.
# ASAN_TESTS="..." runs fewer.
ASAN_TESTS ?= $(sort $(wildcard tests/t[0-9]*.sh))
# (The helper's setuid test copies run with the sanitizers' runtime, which
# is why such a build is for tests only: config.mk.)
# A report aborts its process, and is also written to SAN_LOG_DIR: any
# file there fails the target, whatever the tests made of the abort.
check-asan:
	rm -rf $(SAN_LOG_DIR)
	$(MAKE) SANITIZE=1 check T="$(ASAN_TESTS)"; st=$$?; \
	if ls $(SAN_LOG_DIR)/* >/dev/null 2>&1; then cat $(SAN_LOG_DIR)/*; \
		echo "make check-asan: sanitizer reports (above)" >&2; exit 1; fi; exit $$st

# The unit drivers and the tools root runs, in a few scripts, under
# valgrind's memcheck. Every report is an error (logs in
# tests/valgrind-logs/); test_must_fail cannot mistake one for a refusal.
# Only scripts that need no openat2: Debian 12's valgrind (3.19) does not
# know the call and fails it (ENOSYS), which the store and the layer
# writer refuse to work without.
VALGRIND_TESTS ?= tests/t0000-basic.sh tests/t0105-ref.sh
check-valgrind: all
	@if [ "$(SANITIZE)" = 1 ]; then echo "make check-valgrind: not on a SANITIZE=1 build" >&2; exit 1; fi
	rm -rf tests/valgrind-logs && mkdir -p tests/valgrind-logs
	TK_VALGRIND="valgrind -q --error-exitcode=99 --leak-check=no --log-file=$(CURDIR)/tests/valgrind-logs/%p" \
		sh tests/run.sh $(VALGRIND_TESTS)
	@if grep -q '^==[0-9]*==' tests/valgrind-logs/* 2>/dev/null; then \
		grep -h '^==[0-9]*==' tests/valgrind-logs/*; \
		echo "make check-valgrind: valgrind reported errors (above)" >&2; exit 1; fi

# Slow race tests (tests/sNNNN-*.sh), bounded by TK_SLOW_SECONDS each.
TK_SLOW_SECONDS ?= 120
check-slow: all
	TK_SLOW_SECONDS=$(TK_SLOW_SECONDS) sh tests/run.sh tests/s[0-9]*.sh

clean:
	rm -f bin/*.o lib/*.o lib/libtk.a helper/*.o rt/*.o helper/tk-helper $(addprefix bin/,$(TOOLS)) \
		tools/mkseccomp rt/seccomp-bpf.h \
		bin/tk-monitor build-flags

.PHONY: FORCE all install setuid uninstall quickstart check check-vm check-vm-v1 bench clean helper-flags fuzz \
	check-asan check-slow check-valgrind
.SECONDARY:
