# The metrics push: remote config, versions, durations, gzip, URLs.
TESTS	+= metrics_push_test
metrics_push_test: $(TOP)/netbirdd/metrics_push.c
