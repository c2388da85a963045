#include "storage/storage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "storage/storage_internal.h"

/* Detail of the last failure, one per thread so handles can be shared. */
static _Thread_local char detail[STORAGE_DETAIL_BUFLEN];

const char *
storage_strerror(int err)
{

    switch (err) {
    case STORAGE_OK:
        return ("success");
    case STORAGE_EIO:
        return ("input/output or database error");
    case STORAGE_ENOTFOUND:
        return ("not found");
    case STORAGE_EEXIST:
        return ("already exists");
    case STORAGE_EDIGEST:
        return ("content does not match its digest");
    case STORAGE_ENOSPC:
        return ("no space left on device");
    case STORAGE_ETOOBIG:
        return ("too big");
    case STORAGE_EINVAL:
        return ("invalid argument");
    case STORAGE_ECORRUPT:
        return ("stored data is corrupt");
    case STORAGE_ENOMEM:
        return ("out of memory");
    case STORAGE_EBUSY:
        return ("database busy");
    default:
        return ("unknown storage error");
    }
}

const char *
storage_detail(void)
{

    return (detail);
}

void
storage_clear_detail(void)
{

    detail[0] = '\0';
}

int
storage_fail(int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return (err);
}

int
storage_errno(int e, const char *what)
{
    int err;

    switch (e) {
    case ENOSPC:
    case EDQUOT:
        err = STORAGE_ENOSPC;
        break;
    case ENOENT:
        err = STORAGE_ENOTFOUND;
        break;
    case ENOMEM:
        err = STORAGE_ENOMEM;
        break;
    default:
        err = STORAGE_EIO;
        break;
    }
    return (storage_fail(err, "%s: %s", what, strerror(e)));
}

void
storage_be64(uint8_t p[8], uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

void
storage_be32(uint8_t p[4], uint32_t v)
{
    int i;

    for (i = 3; i >= 0; i--) {
        p[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}
