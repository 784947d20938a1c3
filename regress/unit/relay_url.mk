# Relay URLs from management and offers: relay_url_parse(), relay_url_ws().
TESTS	+= relay_url_test
relay_url_test: $(TOP)/netbirdd/relay_url.c
