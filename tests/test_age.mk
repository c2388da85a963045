# Fault injection: our own allocations (crypto/ objects and the test) can
# be made to fail; libsodium and cmocka are shared and not wrapped.
TEST_LDFLAGS_test_age = -Wl,--wrap=malloc -Wl,--wrap=calloc \
    -Wl,--wrap=realloc -Wl,--wrap=secmem_alloc
