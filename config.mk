# Build configuration. Override on the command line: make PREFIX=/usr DESTDIR=/tmp/x
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/tk
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wno-unused-parameter -Wformat=2 -Wvla
HARDEN    = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
            -fPIE
# The helper is static-pie: no dynamic loader, no shared library, no NSS
# module in a setuid process (policy.c reads names from the local files),
# and 1.1 ms less per start here than dynamic (README, "Where the start
# time goes").
HLDFLAGS  = -static-pie -Wl,-z,relro,-z,now
CPPFLAGS += -D_GNU_SOURCE -Ilib -Irt -Ihelper \
            -DTK_HELPER_PATH='"$(LIBEXECDIR)/tk-helper"' \
            -DTK_BINDIR='"$(BINDIR)"' -DTK_LIBEXECDIR='"$(LIBEXECDIR)"' -DTK_SYSCONFDIR='"$(SYSCONFDIR)"'

# The static monitor (libc only, small RSS), unless sanitized.
STATIC    = -static

# make SANITIZE=1: ASan+UBSan build for tests only (never install it: the
# sanitizers' runtime reads ASAN_OPTIONS, log_path included, in the setuid
# helper too, and writes its reports, as root, into SAN_LOG_DIR, which
# every test user may write). UBSan stops at the first error;
# lib/sanitize.c compiles in the options every process gets, since the
# helper and sudo drop the environment.
ifeq ($(SANITIZE),1)
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS   += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
HARDEN    = -fPIE
HLDFLAGS  = -pie -Wl,-z,relro,-z,now
STATIC    =
SANOBJ    = lib/sanitize.o
CPPFLAGS += -DTK_SAN_LOG_DIR='"$(SAN_LOG_DIR)"'
endif
SAN_LOG_DIR = $(CURDIR)/tests/asan-logs
