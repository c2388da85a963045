# The catalog's session and account reads replaced by the test's fakes.
TEST_LDFLAGS_test_daemon_auth = -Wl,--wrap=catalog_session_lookup \
    -Wl,--wrap=catalog_account_get
