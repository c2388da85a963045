# Fault injection: every system call of a put can be made to fail.
TEST_LDFLAGS_test_blobstore = -Wl,--wrap=write -Wl,--wrap=fsync \
    -Wl,--wrap=renameat -Wl,--wrap=openat -Wl,--wrap=mkdirat \
    -Wl,--wrap=close
