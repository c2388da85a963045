# Fault injection into the record writes of the catalog (our own calls
# only: SQLite's own I/O is inside the shared library and not wrapped).
TEST_LDFLAGS_test_catalog_faults = -Wl,--wrap=fsync -Wl,--wrap=write
