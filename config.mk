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
HLDFLAGS  = -pie -Wl,-z,relro,-z,now
CPPFLAGS += -D_GNU_SOURCE -Ilib -Ihelper \
            -DTK_HELPER_PATH='"$(LIBEXECDIR)/tk-helper"' \
            -DTK_BINDIR='"$(BINDIR)"' -DTK_LIBEXECDIR='"$(LIBEXECDIR)"' -DTK_SYSCONFDIR='"$(SYSCONFDIR)"'

ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
HARDEN    = -fPIE
endif
