# The debug bundle's archive (netbirdctl/bundle.c): ustar through zlib's
# gzip, read back with tar(1).
TESTS	+= bundle_test
bundle_test: CFLAGS += -I$(TOP)/netbirdctl
bundle_test: $(TOP)/netbirdctl/bundle.c
