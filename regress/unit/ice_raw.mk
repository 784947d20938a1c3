# Datagrams on the raw socket of the WireGuard port: decode and send.
TESTS	+= ice_raw_test
ice_raw_test: $(TOP)/netbirdd/ice_raw.c
