/*
 * docs/openapi.yaml must describe exactly the routes the daemon registers
 * (`coffred routes`), no more and no less.
 */
#define _DEFAULT_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#define MAX_ROUTES 128

struct routes {
    char v[MAX_ROUTES][160];       /* "METHOD /path" */
    size_t n;
};

/* Add "METHOD path" to ${r}. */
static void
add(struct routes *r, const char *method, const char *path)
{
    size_t i;

    assert_true(r->n < MAX_ROUTES);
    snprintf(r->v[r->n], sizeof(r->v[0]), "%s %s", method, path);
    for (i = 0; r->v[r->n][i] != ' '; i++) {
        r->v[r->n][i] = (char)(r->v[r->n][i] & ~0x20);
    }
    r->n++;
}

/* Nonzero if ${r} holds ${s}. */
static int
has(const struct routes *r, const char *s)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        if (strcmp(r->v[i], s) == 0) {
            return (1);
        }
    }
    return (0);
}

/* The routes `coffred routes` prints. */
static void
daemon_routes(struct routes *r)
{
    char cmd[600], line[256], m[16], p[200];
    const char *bindir = getenv("COFFRE_BINDIR");
    FILE *f;

    snprintf(cmd, sizeof(cmd), "%s/coffred routes",
        bindir != NULL ? bindir : "bin");
    assert_non_null(f = popen(cmd, "r"));
    while (fgets(line, sizeof(line), f) != NULL) {
        assert_int_equal(sscanf(line, "%15s %199s", m, p), 2);
        add(r, m, p);
    }
    assert_int_equal(pclose(f), 0);
}

/* The (method, path) pairs under `paths:` in the OpenAPI file. */
static void
spec_routes(struct routes *r)
{
    static const char *const methods[] = { "get", "put", "post", "delete",
        "patch", "head", "options", NULL };
    char path[600], line[1024], cur[200] = "";
    const char *src = getenv("COFFRE_SRCDIR");
    int inpaths = 0;
    size_t i, len;
    FILE *f;

    snprintf(path, sizeof(path), "%s/docs/openapi.yaml",
        src != NULL ? src : ".");
    assert_non_null(f = fopen(path, "r"));
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != ' ' && line[0] != '\0' && line[0] != '#') {
            inpaths = strcmp(line, "paths:") == 0;
            continue;
        }
        if (!inpaths) {
            continue;
        }
        len = strlen(line);
        if (strncmp(line, "  /", 3) == 0 && line[len - 1] == ':') {
            snprintf(cur, sizeof(cur), "%.*s", (int)(len - 3), line + 2);
            continue;
        }
        if (strncmp(line, "    ", 4) != 0 || line[4] == ' ') {
            continue;
        }
        for (i = 0; methods[i] != NULL; i++) {
            size_t ml = strlen(methods[i]);

            if (strncmp(line + 4, methods[i], ml) == 0 &&
                line[4 + ml] == ':') {
                assert_true(cur[0] != '\0');
                add(r, methods[i], cur);
            }
        }
    }
    fclose(f);
}

static void
test_api_openapi_lists_every_route(void **state)
{
    struct routes *d, *s;
    size_t i, missing = 0, extra = 0;

    (void)state;
    assert_non_null(d = calloc(1, sizeof(*d)));
    assert_non_null(s = calloc(1, sizeof(*s)));
    daemon_routes(d);
    spec_routes(s);
    assert_true(d->n >= 20);
    for (i = 0; i < d->n; i++) {
        if (!has(s, d->v[i])) {
            fprintf(stderr, "not in docs/openapi.yaml: %s\n", d->v[i]);
            missing++;
        }
    }
    for (i = 0; i < s->n; i++) {
        if (!has(d, s->v[i])) {
            fprintf(stderr, "in docs/openapi.yaml, not served: %s\n",
                s->v[i]);
            extra++;
        }
    }
    assert_int_equal(missing, 0);
    assert_int_equal(extra, 0);
    assert_int_equal(d->n, s->n);
    free(d);
    free(s);
}

static void
test_api_doc_lists_every_route(void **state)
{
    char path[600], *text, line[256], m[16], p[200], needle[256];
    const char *src = getenv("COFFRE_SRCDIR");
    const char *bindir = getenv("COFFRE_BINDIR");
    size_t n;
    FILE *f;

    (void)state;
    /* docs/API.md's route table has a "| METHOD | `path` |" row each. */
    snprintf(path, sizeof(path), "%s/docs/API.md", src != NULL ? src : ".");
    assert_non_null(f = fopen(path, "r"));
    assert_non_null(text = malloc(1 << 20));
    n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    snprintf(path, sizeof(path), "%s/coffred routes",
        bindir != NULL ? bindir : "bin");
    assert_non_null(f = popen(path, "r"));
    while (fgets(line, sizeof(line), f) != NULL) {
        assert_int_equal(sscanf(line, "%15s %199s", m, p), 2);
        snprintf(needle, sizeof(needle), "| %s | `%s` |", m, p);
        if (strstr(text, needle) == NULL) {
            fprintf(stderr, "not in docs/API.md: %s\n", needle);
        }
        assert_non_null(strstr(text, needle));
    }
    assert_int_equal(pclose(f), 0);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_openapi_lists_every_route),
        cmocka_unit_test(test_api_doc_lists_every_route),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
