/*
 * What the client prints and the file names it chooses from text that
 * others wrote (client/util.c: term_text() and the message functions;
 * client/doc.c: doc_safe_name()).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* Client code is not in a module library: compile it in here. */
#include "client/doc.c"
/* util.c defines it again, empty; features.h made it 1 already. */
#undef _DEFAULT_SOURCE
#include "client/util.c"

/* Nonzero if ${s} holds a C0 control, DEL, or a C1 control in UTF-8. */
static int
has_control(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f ||
            (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
            return (1);
        }
    }
    return (0);
}

static void
test_term_text_replaces_every_control(void **state)
{
    char in[8], want[8];
    const char *t;
    unsigned c;

    (void)state;
    /* Every C0 control (tab and newline included) and DEL. */
    for (c = 1; c < 0x80; c++) {
        snprintf(in, sizeof(in), "a%cb", (char)c);
        snprintf(want, sizeof(want), "a%cb",
            (c < 0x20 || c == 0x7f) ? '?' : (char)c);
        assert_string_equal(term_text(in), want);
    }
    /* Every C1 control, U+0080..U+009F, as UTF-8: both bytes go. */
    for (c = 0x80; c <= 0x9f; c++) {
        snprintf(in, sizeof(in), "a\xc2%cb", (char)c);
        assert_string_equal(term_text(in), "a??b");
    }
    /* The first characters after them stay: U+00A0 and U+00A9. */
    assert_string_equal(term_text("\xc2\xa0\xc2\xa9"), "\xc2\xa0\xc2\xa9");
    t = term_text("paie\x1b[8m cach\xc3\xa9\r\nok  line 2\xc2\x9b" "2K");
    assert_string_equal(t, "paie?[8m cach\xc3\xa9??ok  line 2??2K");
    assert_false(has_control(t));
    assert_string_equal(term_text(NULL), "(none)");
}

static void
test_term_text_keeps_utf8_text(void **state)
{
    static const char *const same[] = {
        "Fiche de paie - d\xc3\xa9" "cembre.pdf",
        "\xc3\x89" "cole \xe2\x82\xac \xf0\x9f\x93\x84 \xe4\xb8\xad",
        "", "plain ASCII: 0123 !~",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_string_equal(term_text(same[i]), same[i]);
    }
}

static void
test_term_text_results_live_for_its_slots(void **state)
{
    const char *r[TERM_TEXT_SLOTS];
    char in[16], want[16];
    size_t i;

    (void)state;
    for (i = 0; i < TERM_TEXT_SLOTS; i++) {
        snprintf(in, sizeof(in), "n%zu\n", i);
        r[i] = term_text(in);
    }
    /* All of them at once, as in one printf() with many fields. */
    for (i = 0; i < TERM_TEXT_SLOTS; i++) {
        snprintf(want, sizeof(want), "n%zu?", i);
        assert_string_equal(r[i], want);
    }
}

/* Run warnx_ or infox with ${arg}; what stderr got into ${out}. */
static void
capture_stderr(int info, const char *arg, char *out, size_t outlen)
{
    FILE *tmp;
    int saved;
    size_t n;

    assert_non_null(tmp = tmpfile());
    fflush(stderr);
    assert_true((saved = dup(STDERR_FILENO)) >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    if (info) {
        infox("got %s", arg);
    } else {
        warnx_("%s: %s (%s)", "deposit", arg, "bad_field");
    }
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, outlen - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static void
test_messages_replace_controls_of_their_arguments(void **state)
{
    char out[256];

    (void)state;
    capture_stderr(0, "name\x1b[8m\ncoffre: signature ok\xc2\x9b", out,
        sizeof(out));
    assert_string_equal(out, "coffre: deposit: name?[8m?coffre: signature "
                             "ok?? (bad_field)\n");
    capture_stderr(1, "d\xc3\xa9" "cembre\t\x07", out, sizeof(out));
    assert_string_equal(out, "got d\xc3\xa9" "cembre??\n");
}

static void
test_json_print_escapes_del_and_c1(void **state)
{
    static const char name[] = "d\xc3\xa9" "c\x1b[8m\n\x7f\xc2\x9b" "2K"
                               "\xc2\x80\xc2\x9f\xc2\xa0";
    json_t *j, *back;
    json_error_t err;
    char out[256];
    FILE *tmp;
    int saved;
    size_t n;

    (void)state;
    assert_non_null(j = json_pack("{s:s}", "name", name));
    assert_non_null(tmp = tmpfile());
    fflush(stdout);
    assert_true((saved = dup(STDOUT_FILENO)) >= 0);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    assert_int_equal(json_print(j, JSON_COMPACT), 0);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, sizeof(out) - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    /* Every control escaped, the accents and U+00A0 as they are. */
    assert_string_equal(out, "{\"name\":\"d\xc3\xa9" "c\\u001B[8m\\n"
                             "\\u007F\\u009B2K\\u0080\\u009F\xc2\xa0\"}");
    /* The same value. */
    assert_non_null(back = json_loads(out, 0, &err));
    assert_string_equal(json_string_value(json_object_get(back, "name")),
        name);
    json_decref(back);
    json_decref(j);
}

static void
test_doc_safe_name_refuses_paths_and_controls(void **state)
{
    static const struct { const char *in, *want; } t[] = {
        { NULL, "document" },
        { "", "document" },
        { "-", "_" },
        { "--force", "_-force" },
        { ".", "_" },
        { "..", "_." },
        { ".bashrc", "_bashrc" },
        { "../../etc/passwd", "_._.._etc_passwd" },
        { "/etc/passwd", "_etc_passwd" },
        { "a\\b", "a_b" },
        { "x\x1b[8my\nz\t\x7f", "x_[8my_z__" },
        { "c1\xc2\x9b" "2J\xc2\x85", "c1_2J_" },
        { "Fiche de paie - d\xc3\xa9" "cembre.pdf",
          "Fiche de paie - d\xc3\xa9" "cembre.pdf" },
        { "nbsp\xc2\xa0ok", "nbsp\xc2\xa0ok" },
    };
    char *s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_non_null(s = doc_safe_name(t[i].in));
        assert_string_equal(s, t[i].want);
        free(s);
    }
}

static void
test_doc_safe_name_cuts_on_a_character(void **state)
{
    char in[512], *s;
    size_t i;

    (void)state;
    /* 199 ASCII bytes then a three-byte character: it is dropped whole. */
    memset(in, 'a', 199);
    memcpy(in + 199, "\xe2\x82\xac" "bcd", 7);
    assert_non_null(s = doc_safe_name(in));
    assert_int_equal(strlen(s), 199);
    free(s);
    /* Two-byte characters end exactly at 200 bytes: all kept. */
    for (i = 0; i < 150; i++) {
        memcpy(in + 2 * i, "\xc3\xa9", 2);
    }
    in[300] = '\0';
    assert_non_null(s = doc_safe_name(in));
    assert_int_equal(strlen(s), 200);
    assert_memory_equal(s, in, 200);
    free(s);
    /* One ASCII byte first: the 100th character would pass 200 bytes. */
    in[0] = 'x';
    for (i = 0; i < 150; i++) {
        memcpy(in + 1 + 2 * i, "\xc3\xa9", 2);
    }
    in[301] = '\0';
    assert_non_null(s = doc_safe_name(in));
    assert_int_equal(strlen(s), 199);
    free(s);
    /* A 200-byte name is whole. */
    memset(in, 'b', 200);
    in[200] = '\0';
    assert_non_null(s = doc_safe_name(in));
    assert_string_equal(s, in);
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_term_text_replaces_every_control),
        cmocka_unit_test(test_term_text_keeps_utf8_text),
        cmocka_unit_test(test_term_text_results_live_for_its_slots),
        cmocka_unit_test(test_messages_replace_controls_of_their_arguments),
        cmocka_unit_test(test_json_print_escapes_del_and_c1),
        cmocka_unit_test(test_doc_safe_name_refuses_paths_and_controls),
        cmocka_unit_test(test_doc_safe_name_cuts_on_a_character),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
