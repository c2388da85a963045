#define _DEFAULT_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/commands.h"
#include "client/docs.h"
#include "client/employer.h"
#include "client/http.h"
#include "client/session.h"

/*
 * coffre employers [list] | oppose SIRET | allow SIRET: a person sees who
 * deposited into the safe and refuses (BP-01) or again accepts electronic
 * payslips from an employer.  The list is made here, from the records'
 * depositors and the key directory; the server keeps only the
 * oppositions.
 */

enum { OPT_PASSFILE = 256, OPT_JSON };

/* The entry of ${siret} in ${list} (an object keyed by SIRET), made. */
static json_t *
entry_for(json_t *list, const char *siret)
{
    json_t *e = json_object_get(list, siret);

    if (e == NULL) {
        e = json_pack("{s:s, s:n, s:i, s:n, s:n}", "siret", siret, "name",
            "documents", 0, "last_deposit", "opposed_since");
        if (e == NULL || json_object_set_new(list, siret, e) != 0) {
            return (NULL);
        }
    }
    return (e);
}

/* Fill the names from the key directory (unknown: left null). */
static void
names_fill(struct session *s, json_t *list)
{
    const char *siret;
    json_t *e, *resp;
    char *ev, *path;
    long status;

    json_object_foreach(list, siret, e) {
        if ((ev = http_escape(siret)) == NULL) {
            continue;
        }
        path = str_concat("/v1/directory/employers/", ev);
        free(ev);
        if (path == NULL) {
            continue;
        }
        resp = NULL;
        if (http_json(s->http, "GET", path, NULL, 0, &status, &resp) == 0 &&
            status == 200 && json_is_string(json_object_get(resp, "name"))) {
            json_object_set(e, "name", json_object_get(resp, "name"));
        }
        json_decref(resp);
        free(path);
    }
}

/* Build the list: depositors of my documents, and my oppositions. */
static int
employers_collect(struct session *s, json_t **out)
{
    json_t *docs = NULL, *opp = NULL, *list, *d, *e;
    const char *dep, *kind, *when, *last;
    size_t i;
    int rc;

    *out = NULL;
    if ((list = json_object()) == NULL) {
        return (EXIT_ERR);
    }
    if ((rc = docs_list(s, NULL, &docs)) != EXIT_OK ||
        (rc = api_call(s, "GET", "/v1/oppositions", NULL, 200, "oppositions",
             &opp)) != EXIT_OK) {
        goto done;
    }
    rc = EXIT_ERR;
    json_array_foreach(docs, i, d) {
        dep = json_string_value(json_object_get(d, "depositor"));
        kind = json_string_value(json_object_get(d, "depositor_kind"));
        when = json_string_value(json_object_get(d, "created_at"));
        if (dep == NULL || kind == NULL || strcmp(kind, "employer") != 0) {
            continue;
        }
        if ((e = entry_for(list, dep)) == NULL) {
            goto done;
        }
        json_object_set_new(e, "documents", json_integer(
            json_integer_value(json_object_get(e, "documents")) + 1));
        last = json_string_value(json_object_get(e, "last_deposit"));
        if (when != NULL && (last == NULL || strcmp(when, last) > 0)) {
            json_object_set_new(e, "last_deposit", json_string(when));
        }
    }
    json_array_foreach(json_object_get(opp, "oppositions"), i, d) {
        dep = json_string_value(json_object_get(d, "siret"));
        if (dep == NULL || (e = entry_for(list, dep)) == NULL) {
            continue;
        }
        json_object_set(e, "opposed_since", json_object_get(d,
            "created_at"));
    }
    names_fill(s, list);
    *out = list;
    list = NULL;
    rc = EXIT_OK;

done:
    json_decref(list);
    json_decref(docs);
    json_decref(opp);
    return (rc);
}

/* `coffre employers [list]`. */
static int
employers_list(struct session *s, int json)
{
    json_t *list, *arr, *e;
    const char *siret;
    size_t i;
    int rc;

    if ((rc = employers_collect(s, &list)) != EXIT_OK) {
        return (rc);
    }
    if ((arr = json_array()) == NULL) {
        json_decref(list);
        return (EXIT_ERR);
    }
    json_object_foreach(list, siret, e) {
        json_array_append(arr, e);
    }
    if (json) {
        json_print(arr, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
    } else {
        json_array_foreach(arr, i, e) {
            const char *name = json_string_value(json_object_get(e, "name"));
            const char *last = json_string_value(json_object_get(e,
                "last_deposit"));
            const char *opp = json_string_value(json_object_get(e,
                "opposed_since"));

            printf("%s  %-30.30s %5lld documents  last %-10.10s%s%.10s\n",
                term_text(json_string_value(json_object_get(e, "siret"))),
                name != NULL ? term_text(name) : "(unknown)",
                (long long)json_integer_value(json_object_get(e,
                    "documents")),
                last != NULL ? term_text(last) : "-",
                opp != NULL ? "  OPPOSED since " : "",
                opp != NULL ? term_text(opp) : "");
        }
    }
    json_decref(arr);
    json_decref(list);
    return (EXIT_OK);
}

/* `coffre employers oppose|allow SIRET`. */
static int
employers_set(struct session *s, const char *siret, int oppose)
{
    json_t *resp = NULL;
    char *ev, *path;
    int rc;

    if ((ev = http_escape(siret)) == NULL) {
        return (EXIT_ERR);
    }
    path = str_concat("/v1/oppositions/", ev);
    free(ev);
    if (path == NULL) {
        return (EXIT_ERR);
    }
    rc = api_call(s, oppose ? "PUT" : "DELETE", path, NULL, 0,
        oppose ? "oppose" : "allow", &resp);
    free(path);
    json_decref(resp);
    if (rc == EXIT_OK) {
        infox(oppose ? "%s may no longer deposit into your safe"
                     : "%s may deposit into your safe again", siret);
    }
    return (rc);
}

int
cmd_employers(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"passphrase-file", required_argument, NULL, OPT_PASSFILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL, *sub = "list", *siret = NULL;
    struct session *s;
    int c, rc, json = 0;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case OPT_PASSFILE: passfile = optarg; break;
        case 'h': return (command_help("employers"));
        default: return (usage_error("employers", "bad option"));
        }
    }
    if (optind < argc) {
        sub = argv[optind++];
    }
    if (strcmp(sub, "oppose") == 0 || strcmp(sub, "allow") == 0) {
        if (argc - optind != 1) {
            return (usage_error("employers", "%s needs one SIRET", sub));
        }
        siret = argv[optind];
        if (!employer_siret_valid(siret)) {
            return (usage_error("employers", "'%s' is not a SIRET (14 "
                "digits, Luhn key)", siret));
        }
    } else if (strcmp(sub, "list") != 0 || optind != argc) {
        return (usage_error("employers", "unknown subcommand '%s'", sub));
    }
    if ((rc = session_open(passfile, 1, &s)) != EXIT_OK) {
        return (rc);
    }
    if (s->kind != NULL && strcmp(s->kind, "person") != 0) {
        warnx_("employers: only a person's safe has employers");
        session_free(s);
        return (EXIT_USAGE);
    }
    if (siret == NULL) {
        rc = employers_list(s, json);
    } else {
        rc = employers_set(s, siret, strcmp(sub, "oppose") == 0);
    }
    session_free(s);
    return (rc);
}
