# netbirdctl's request loop (netbirdctl/ctl.c), which ctl_test drives
# with text answers (show metrics): ctl_test gains a source.
ctl_test: $(TOP)/netbirdctl/ctl.c
