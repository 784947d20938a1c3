# The metrics process's sample store: line protocol, Prometheus text.
TESTS	+= metrics_store_test
metrics_store_test: $(TOP)/netbirdd/metrics_store.c logcap.c
