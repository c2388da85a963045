# Fault injection: the activity objects' allocations (and jansson's, through
# json_set_alloc_funcs) can be made to fail; see test_periods.c.
TEST_LDFLAGS_test_periods = -Wl,--wrap=malloc -Wl,--wrap=calloc \
    -Wl,--wrap=realloc -Wl,--wrap=strdup
