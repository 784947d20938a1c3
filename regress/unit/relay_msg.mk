# The relay's binary messages and peer IDs (libsodium from Makefile.inc).
TESTS	+= relay_msg_test
relay_msg_test: $(TOP)/netbirdd/relay_msg.c
