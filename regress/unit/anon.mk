# The debug bundle's anonymiser (netbirdctl/anon.c); keys are encoded
# by common/key.c (libsodium), which libcommon.a brings.
TESTS	+= anon_test
anon_test: CFLAGS += -I$(TOP)/netbirdctl
anon_test: $(TOP)/netbirdctl/anon.c
