/*
 * libFuzzer target for the daemon's hand-written JSON strings
 * (daemon/jsontext.c): any valid UTF-8 text, written with jsontext_str()
 * inside an array, must parse back with jansson to exactly that text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/jsontext.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jsontext t = { NULL, 0, 0, 0 };
    json_t *probe, *back;
    char *s;

    if ((s = malloc(size + 1)) == NULL) {
        return (0);
    }
    memcpy(s, data, size);
    s[size] = '\0';
    /* The daemon only writes texts that jansson accepted (valid UTF-8). */
    if ((probe = json_string(s)) == NULL) {
        free(s);
        return (0);
    }
    json_decref(probe);
    jsontext_raw(&t, "[", 1);
    jsontext_str(&t, s);
    jsontext_raw(&t, ",", 1);
    jsontext_str(&t, NULL);
    jsontext_raw(&t, "]", 1);
    if (t.failed) {
        abort();
    }
    back = json_loads(t.p, 0, NULL);
    if (back == NULL || !json_is_array(back) || json_array_size(back) != 2 ||
        !json_is_null(json_array_get(back, 1)) ||
        strcmp(json_string_value(json_array_get(back, 0)), s) != 0) {
        abort();
    }
    json_decref(back);
    free(t.p);
    free(s);
    return (0);
}
