# The debug bundle's anonymiser (netbirdctl/anon.c); keys are encoded
# with common/key.c (libsodium).
FUZZERS	+= anon
SRCS_anon = $(TOP)/common/key.c $(TOP)/netbirdctl/anon.c
LDLIBS_anon = $(shell $(PKG_CONFIG) --libs libsodium)
fuzz_anon: FUZZ_CFLAGS += -I$(TOP)/netbirdctl \
	$(shell $(PKG_CONFIG) --cflags libsodium)
