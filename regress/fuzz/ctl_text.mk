# netbirdctl's text answers (show metrics, debug bundle's config and
# network map): checked, bounded and made safe for a terminal.
FUZZERS	+= ctl_text
SRCS_ctl_text = $(TOP)/common/imsg.c $(TOP)/common/imsg-buffer.c \
	$(TOP)/common/log.c \
	$(addprefix $(TOP)/netbirdctl/,fmt.c output.c output_json.c show.c)
fuzz_ctl_text: FUZZ_CFLAGS += -I$(TOP)/netbirdd -I$(TOP)/netbirdctl \
	$(shell $(PKG_CONFIG) --cflags libevent)
