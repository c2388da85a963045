#include "daemon/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ids.h"
#include "daemon/limits.h"

int
config_init(struct config *cfg)
{

    memset(cfg, 0, sizeof(*cfg));
    if ((cfg->listen_host = strdup("127.0.0.1")) == NULL ||
        (cfg->data = strdup("./var")) == NULL) {
        config_clear(cfg);
        return (-1);
    }
    cfg->listen_port = 8420;
    cfg->threads = HTTPD_THREADS_DEFAULT;
    cfg->workers = HTTPD_WORKERS_DEFAULT;
    cfg->registration = CONFIG_REG_CLOSED;
    cfg->max_blob_bytes = API_MAX_BLOB_BYTES_DEFAULT;
    cfg->token_lifetime = AUTH_TOKEN_LIFETIME_SECS_DEFAULT;
    return (0);
}

int
config_parse_listen(const char *s, char **host, uint16_t *port)
{
    const char *colon, *h;
    size_t hlen;
    uint64_t p;

    *host = NULL;
    *port = 0;
    if (s[0] == '[') {
        if ((colon = strstr(s, "]:")) == NULL) {
            return (-1);
        }
        h = s + 1;
        hlen = (size_t)(colon - h);
        colon++;
    } else {
        if ((colon = strrchr(s, ':')) == NULL) {
            return (-1);
        }
        h = s;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen > 64 ||
        ids_u64_parse(colon + 1, strlen(colon + 1), 0, 65535, &p) != 0) {
        return (-1);
    }
    if ((*host = strndup(h, hlen)) == NULL) {
        return (-1);
    }
    *port = (uint16_t)p;
    return (0);
}

/* Replace the string *${dst} by a copy of ${v}. */
static int
set_str(char **dst, const char *v)
{
    char *c;

    if ((c = strdup(v)) == NULL) {
        return (-1);
    }
    free(*dst);
    *dst = c;
    return (0);
}

int
config_set(struct config *cfg, const char *key, const char *value)
{
    size_t vlen = strlen(value);
    uint64_t u;
    char *host;
    uint16_t port;

    if (strcmp(key, "listen") == 0) {
        if (config_parse_listen(value, &host, &port) != 0) {
            return (-1);
        }
        free(cfg->listen_host);
        cfg->listen_host = host;
        cfg->listen_port = port;
        return (0);
    } else if (strcmp(key, "data") == 0) {
        return (vlen == 0 ? -1 : set_str(&cfg->data, value));
    } else if (strcmp(key, "log") == 0) {
        return (vlen == 0 ? -1 : set_str(&cfg->log_path, value));
    } else if (strcmp(key, "port_file") == 0) {
        return (vlen == 0 ? -1 : set_str(&cfg->port_file, value));
    } else if (strcmp(key, "threads") == 0) {
        if (ids_u64_parse(value, vlen, 1, HTTPD_THREADS_MAX, &u) != 0) {
            return (-1);
        }
        cfg->threads = (unsigned)u;
        return (0);
    } else if (strcmp(key, "workers") == 0) {
        if (ids_u64_parse(value, vlen, 0, HTTPD_WORKERS_MAX, &u) != 0) {
            return (-1);
        }
        cfg->workers = (unsigned)u;
        return (0);
    } else if (strcmp(key, "registration") == 0) {
        if (strcmp(value, "open") == 0) {
            cfg->registration = CONFIG_REG_OPEN;
        } else if (strcmp(value, "approval") == 0) {
            cfg->registration = CONFIG_REG_APPROVAL;
        } else if (strcmp(value, "closed") == 0) {
            cfg->registration = CONFIG_REG_CLOSED;
        } else {
            return (-1);
        }
        return (0);
    } else if (strcmp(key, "max_blob_bytes") == 0) {
        if (ids_u64_parse(value, vlen, 1, UINT64_C(1) << 40, &u) != 0) {
            return (-1);
        }
        cfg->max_blob_bytes = u;
        return (0);
    } else if (strcmp(key, "token_lifetime") == 0) {
        if (ids_u64_parse(value, vlen, 1, 30 * 86400, &u) != 0) {
            return (-1);
        }
        cfg->token_lifetime = (int64_t)u;
        return (0);
    } else if (strcmp(key, "closure_date") == 0) {
        return (ids_time_parse(value, vlen, &cfg->closure_date));
    }
    return (-1);
}

/* Strip blanks at both ends of ${s} in place; return the new start. */
static char *
trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
        s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return (s);
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    char line[CONFIG_LINE_MAX_BYTES], *eq, *k, *v;
    unsigned lineno = 0;
    FILE *f;

    if ((f = fopen(path, "re")) == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto err0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            goto err1;
        }
        line[strcspn(line, "\n")] = '\0';
        k = trim(line);
        if (*k == '\0' || *k == '#') {
            continue;
        }
        if ((eq = strchr(k, '=')) == NULL) {
            snprintf(err, errlen, "%s:%u: expected key = value", path,
                lineno);
            goto err1;
        }
        *eq = '\0';
        v = trim(eq + 1);
        k = trim(k);
        if (config_set(cfg, k, v) != 0) {
            snprintf(err, errlen, "%s:%u: bad setting", path, lineno);
            goto err1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto err1;
    }
    fclose(f);

    /* Success! */
    return (0);

err1:
    fclose(f);
err0:
    /* Failure! */
    return (-1);
}

void
config_clear(struct config *cfg)
{

    free(cfg->listen_host);
    free(cfg->data);
    free(cfg->log_path);
    free(cfg->port_file);
    cfg->listen_host = cfg->data = cfg->log_path = cfg->port_file = NULL;
}
