#ifndef CONFIG_H_
#define CONFIG_H_

#include <stddef.h>
#include <stdint.h>

/*
 * Daemon settings: defaults, then the config file (`key = value` lines,
 * `#` comments), then the command line, which wins.  Keys:
 *
 *   listen = 127.0.0.1:8420        data = /var/lib/coffre
 *   log = /var/log/coffred.log     threads = 16      workers = 32
 *   registration = open|approval|closed
 *   max_blob_bytes = 67108864      token_lifetime = 3600
 *   closure_date = 2076-01-01T00:00:00Z
 *   port_file = /run/coffred.port  (written once listening)
 */

#define CONFIG_REG_CLOSED 0
#define CONFIG_REG_APPROVAL 1
#define CONFIG_REG_OPEN 2

struct config {
    char *listen_host;             /* numeric IPv4 or IPv6 address */
    uint16_t listen_port;          /* 0: any free port */
    char *data;
    char *log_path;                /* NULL: stderr */
    char *port_file;               /* NULL: none */
    unsigned threads;
    unsigned workers;              /* for handlers that wait on the disk */
    int registration;
    uint64_t max_blob_bytes;
    int64_t token_lifetime;
    int64_t closure_date;          /* 0: none */
};

/**
 * config_init(cfg):
 * Fill ${cfg} with the defaults.  Return 0 or -1 (allocation).
 */
int config_init(struct config *cfg);

/**
 * config_set(cfg, key, value):
 * Set one setting from text.  Return 0, or -1 for an unknown key or an
 * invalid value.
 */
int config_set(struct config *cfg, const char *key, const char *value);

/**
 * config_load(cfg, path, err, errlen):
 * Read the config file ${path}.  Return 0, or -1 with a message in ${err}.
 */
int config_load(struct config *cfg, const char *path, char *err,
    size_t errlen);

/**
 * config_parse_listen(s, host, port):
 * Split "HOST:PORT" or "[V6]:PORT" into a malloc'd ${*host} and ${*port}.
 * Return 0 or -1.
 */
int config_parse_listen(const char *s, char **host, uint16_t *port);

/**
 * config_clear(cfg):
 * Free the strings of ${cfg}.
 */
void config_clear(struct config *cfg);

#endif /* !CONFIG_H_ */
