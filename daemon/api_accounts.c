/*
 * Health, info, registration, login/logout and the key directory.
 */
#include "daemon/api.h"

#include <stdio.h>
#include <string.h>

#include "crypto/digest.h"
#include "crypto/minisig.h"
#include "crypto/secmem.h"
#include "daemon/auth.h"
#include "daemon/config.h"
#include "daemon/ids.h"
#include "daemon/limits.h"
#include "daemon/logger.h"
#include "daemon/signer.h"

#define VERSION "0.1.0"
#define LOGIN_PREFIX "coffre-login-v1\n"

int
api_health(struct api_req *req)
{

    if (req->app->draining) {
        return (api_reply_error(req, 503, "unavailable", "shutting down"));
    }
    return (api_reply_static(req, 200, "{\"status\":\"ok\"}\n"));
}

int
api_info(struct api_req *req)
{
    const struct config *cfg = req->app->cfg;
    json_t *o;

    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I,"
        "s:{s:s,s:i},s:{s:s,s:i},s:[s,s,s],s:o}",
        "service", "coffre", "version", VERSION, "api", "v1",
        "signing_key", signer_pubkey(req->app->signer),
        "signing_key_file", signer_pubkey_file(req->app->signer),
        "open_registration", cfg->registration == CONFIG_REG_OPEN,
        "max_blob_bytes", (json_int_t)cfg->max_blob_bytes,
        "token_lifetime", (json_int_t)cfg->token_lifetime,
        "retention", "documents", "until deleted by the owner",
        "deleted_blobs_days", 1,
        "log_retention", "audit", "for the life of the vault",
        "requests_days", 365,
        "export_formats", "tar", "tar.gz", "zip",
        "closure_date", api_time_json(cfg->closure_date));
    return (api_reply_json(req, 200, o));
}

/* Nonzero if ${s} looks like an age X25519 recipient (bech32, lower). */
static int
recipient_valid(const char *s, size_t len)
{
    static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    size_t i;

    if (len != 62 || strncmp(s, "age1", 4) != 0) {
        return (0);
    }
    for (i = 4; i < len; i++) {
        if (s[i] == '\0' || strchr(cs, s[i]) == NULL) {
            return (0);
        }
    }
    return (1);
}

/* Nonzero if ${s} is a display name: 1-80 bytes, no control characters. */
static int
org_name_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 80 || len >= CATALOG_NAME_BUFLEN) {
        return (0);
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return (0);
        }
    }
    return (1);
}

/*
 * An employer's or an account service's registration request (issue 6):
 * always pending, whatever the registration mode, until the operator's
 * `coffred account approve`.  Answers 202, 400 or 409.
 */
static void
register_request(struct api_req *req, json_t *body, const char *kind,
    const char *rcpt, size_t rlen, const char *mkey, size_t mlen)
{
    struct catalog_account acct, other;
    const char *siret = NULL, *name = NULL, *id;
    size_t slen = 0, nlen = 0;
    int emp = strcmp(kind, "employer") == 0, r;
    json_t *o;

    if ((emp && api_json_str(req, body, "siret", 1, 14, &siret, &slen)) ||
        api_json_str(req, body, "name", 1, 80, &name, &nlen)) {
        return;
    }
    if ((emp && !ids_siret_valid(siret, slen)) ||
        (!emp && (json_object_get(body, "siret") != NULL ||
        !ids_service_valid(name, nlen))) || !org_name_valid(name, nlen)) {
        api_reply_error(req, 400, "bad_field", "a field has a bad value");
        return;
    }
    id = emp ? siret : name;
    r = api_account_by_public(req->app, id, emp ? IDS_KIND_EMPLOYER :
        IDS_KIND_SERVICE, &other);
    if (r == 0) {
        api_reply_error(req, 409, "conflict", "this account exists");
        return;
    } else if (r != STORAGE_ENOTFOUND) {
        api_reply_storage(req, r, "");
        return;
    }
    memset(&acct, 0, sizeof(acct));
    acct.kind = emp ? CATALOG_KIND_EMPLOYER : CATALOG_KIND_SERVICE;
    acct.state = CATALOG_STATE_PENDING;
    memcpy(acct.age_recipient, rcpt, rlen + 1);
    memcpy(acct.minisign_key, mkey, mlen + 1);
    if (emp) {
        memcpy(acct.siret, siret, slen + 1);
    }
    memcpy(acct.name, name, nlen + 1);
    catalog_id_new(acct.id);
    r = catalog_account_create(req->app->cat, acct.id, &acct);
    if (r == STORAGE_EEXIST) {
        api_reply_error(req, 409, "conflict", "this account exists");
        return;
    } else if (r != 0) {
        api_reply_storage(req, r, "");
        return;
    }
    log_info(req->id, "registration request from %s %s", kind, id);
    o = json_pack("{s:s,s:s,s:s,s:s}", "account", id, "kind", kind, "name",
        name, "status", "pending");
    if (o != NULL && emp) {
        json_object_set_new(o, "siret", json_string(siret));
    }
    api_reply_json(req, 202, o);
}

int
api_register(struct api_req *req)
{
    static const char *const fields[] = { "kind", "age_recipient",
        "minisign_key", "siret", "name", NULL };
    struct catalog_account acct;
    struct minisig_pubkey pk;
    const char *kind, *rcpt, *mkey;
    size_t klen, rlen, mlen;
    uint64_t v;
    json_t *body, *o;
    int r, tries;

    if (req->app->cfg->registration == CONFIG_REG_CLOSED) {
        return (api_reply_error(req, 403, "registration_closed",
            "registration is closed on this server"));
    }
    if (api_body_json(req, fields, &body)) {
        return (0);
    }
    if (api_json_str(req, body, "kind", 1, 16, &kind, &klen) ||
        api_json_str(req, body, "age_recipient", 1, 127, &rcpt, &rlen) ||
        api_json_str(req, body, "minisign_key", 1, 127, &mkey, &mlen)) {
        goto done;
    }
    if (!recipient_valid(rcpt, rlen) ||
        minisig_pubkey_parse(mkey, mlen, &pk) != 0 ||
        mlen != MINISIG_PUBKEY_B64_LEN) {
        api_reply_error(req, 400, "bad_field", "a field has a bad value");
        goto done;
    }
    if (strcmp(kind, "employer") == 0 || strcmp(kind, "service") == 0) {
        register_request(req, body, kind, rcpt, rlen, mkey, mlen);
        goto done;
    }
    if (strcmp(kind, "person") != 0 || json_object_get(body, "siret") ||
        json_object_get(body, "name")) {
        api_reply_error(req, 400, "bad_field", "a field has a bad value");
        goto done;
    }
    memset(&acct, 0, sizeof(acct));
    acct.kind = CATALOG_KIND_PERSON;
    acct.state = req->app->cfg->registration == CONFIG_REG_OPEN ?
        CATALOG_STATE_ACTIVE : CATALOG_STATE_PENDING;
    memcpy(acct.age_recipient, rcpt, rlen + 1);
    memcpy(acct.minisign_key, mkey, mlen + 1);
    for (tries = 0; tries < 16; tries++) {
        do {
            secmem_random(&v, sizeof(v));
        } while (ids_vault_make(v, acct.vault) != 0);
        catalog_id_new(acct.id);
        r = catalog_account_create(req->app->cat, acct.id, &acct);
        if (r != STORAGE_EEXIST) {
            break;
        }
    }
    if (r != 0) {
        api_reply_storage(req, r, "");
        goto done;
    }
    log_info(req->id, "registered person %s", acct.vault);
    o = json_pack("{s:s,s:s,s:s,s:s}", "account", acct.vault, "kind",
        "person", "vault", acct.vault, "status",
        acct.state == CATALOG_STATE_ACTIVE ? "active" : "pending");
    api_reply_json(req, acct.state == CATALOG_STATE_ACTIVE ? 201 : 202, o);

done:
    json_decref(body);
    return (0);
}

/* The exact bytes a client signs to log in. */
static int
login_message(const char *account, const char *challenge, char *out,
    size_t outlen)
{
    int n;

    n = snprintf(out, outlen, LOGIN_PREFIX "%s\n%s\n", account, challenge);
    return (n < 0 || (size_t)n >= outlen ? -1 : n);
}

int
api_challenge(struct api_req *req)
{
    static const char *const fields[] = { "account", NULL };
    uint8_t raw[AUTH_CHALLENGE_BYTES], hash[CATALOG_HASH_BYTES];
    char b64[AUTH_TOKEN_B64_LEN + 1], msg[256];
    struct catalog_account acct;
    const char *name;
    size_t nlen;
    json_t *body, *o;
    int r;

    if (api_body_json(req, fields, &body)) {
        return (0);
    }
    if (api_json_str(req, body, "account", 1, IDS_OPAQUE_MAX, &name,
        &nlen)) {
        goto done;
    }
    if (ids_account_kind(name, nlen) == 0) {
        api_reply_error(req, 400, "bad_id", "malformed account id");
        goto done;
    }
    secmem_random(raw, sizeof(raw));
    if (ids_token_encode(raw, sizeof(raw), b64, sizeof(b64)) != 0) {
        goto fail;
    }
    digest_buf(raw, sizeof(raw), hash);
    secmem_wipe(raw, sizeof(raw));
    /* Unknown accounts get a challenge too, that is never stored. */
    r = api_account_by_public(req->app, name, 0, &acct);
    if (r == 0) {
        r = catalog_challenge_put(req->app->cat, hash, acct.id,
            api_now() + AUTH_CHALLENGE_LIFETIME_SECS);
        if (r != 0) {
            api_reply_storage(req, r, "");
            goto done;
        }
    } else if (r != STORAGE_ENOTFOUND) {
        api_reply_storage(req, r, "");
        goto done;
    }
    if (login_message(name, b64, msg, sizeof(msg)) < 0) {
        goto fail;
    }
    o = json_pack("{s:s,s:i,s:s}", "challenge", b64, "expires_in",
        AUTH_CHALLENGE_LIFETIME_SECS, "message", msg);
    api_reply_json(req, 200, o);

done:
    json_decref(body);
    return (0);

fail:
    json_decref(body);
    return (-1);
}

/* Answer 429 for ${retry} seconds. */
static void
throttled(struct api_req *req, int64_t retry)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%lld", (long long)retry);
    api_header_add(req, "Retry-After", buf);
    api_reply_error(req, 429, "throttled", "too many failed logins");
}

/*
 * Check the login of ${acct} (found) with challenge ${ch} and signature
 * text ${sig}.  Return 0 if the signature is good, -1 otherwise; the
 * challenge is consumed either way.
 */
static int
login_check(struct api_req *req, const struct catalog_account *acct,
    const char *name, const char *ch, size_t chlen, const char *sig,
    size_t siglen)
{
    uint8_t raw[AUTH_CHALLENGE_BYTES], hash[CATALOG_HASH_BYTES];
    char owner[CATALOG_ID_BUFLEN], msg[256];
    struct minisig_pubkey pk;
    struct minisig ms;
    int n;

    if (ids_token_decode(ch, chlen, raw, sizeof(raw)) != 0) {
        return (-1);
    }
    digest_buf(raw, sizeof(raw), hash);
    secmem_wipe(raw, sizeof(raw));
    if (catalog_challenge_consume(req->app->cat, hash, api_now(),
        owner) != 0 || strcmp(owner, acct->id) != 0) {
        return (-1);
    }
    if ((n = login_message(name, ch, msg, sizeof(msg))) < 0 ||
        minisig_parse(sig, siglen, &ms) != 0 ||
        minisig_pubkey_parse(acct->minisign_key,
        strlen(acct->minisign_key), &pk) != 0 ||
        minisig_verify_buf((const uint8_t *)msg, (size_t)n, &ms, &pk) != 0) {
        return (-1);
    }
    return (0);
}

int
api_login(struct api_req *req)
{
    static const char *const fields[] = { "account", "challenge",
        "signature", NULL };
    uint8_t raw[AUTH_TOKEN_BYTES], hash[CATALOG_HASH_BYTES];
    char tok[AUTH_TOKEN_B64_LEN + 1], akey[96], addrkey[64];
    struct catalog_account acct;
    const char *name, *ch, *sig;
    size_t nlen, chlen, siglen;
    int64_t now = api_now(), retry, exp;
    json_t *body, *o;
    int r, found;

    if (api_body_json(req, fields, &body)) {
        return (0);
    }
    if (api_json_str(req, body, "account", 1, IDS_OPAQUE_MAX, &name,
        &nlen) ||
        api_json_str(req, body, "challenge", 1, 64, &ch, &chlen) ||
        api_json_str(req, body, "signature", 1, API_MAX_SIGNATURE_BYTES,
        &sig, &siglen)) {
        goto done;
    }
    snprintf(akey, sizeof(akey), "acct:%s", name);
    snprintf(addrkey, sizeof(addrkey), "addr:%s", req->addr);
    if (auth_throttled(req->app->auth, akey, now, &retry) ||
        auth_throttled(req->app->auth, addrkey, now, &retry)) {
        throttled(req, retry);
        goto done;
    }
    r = api_account_by_public(req->app, name, 0, &acct);
    if (r != 0 && r != STORAGE_ENOTFOUND && r != STORAGE_EINVAL) {
        api_reply_storage(req, r, "");
        goto done;
    }
    found = r == 0;
    if (!found || acct.state == CATALOG_STATE_DISABLED ||
        login_check(req, &acct, name, ch, chlen, sig, siglen) != 0) {
        auth_failed(req->app->auth, akey, now);
        auth_failed(req->app->auth, addrkey, now);
        if (found) {
            api_audit(req, acct.id, acct.id, "login.failed", NULL,
                req->addr);
        }
        log_info(req->id, "login failed for %s", name);
        api_reply_error(req, 401, "login_failed", "login failed");
        goto done;
    }
    /*
     * A pending account logs in (it can see its own state) but every
     * route other than /v1/me and /v1/logout answers 403 account_pending
     * until the operator approves it (httpd.c).
     */
    secmem_random(raw, sizeof(raw));
    r = ids_token_encode(raw, sizeof(raw), tok, sizeof(tok));
    digest_buf(raw, sizeof(raw), hash);
    secmem_wipe(raw, sizeof(raw));
    exp = now + req->app->cfg->token_lifetime;
    if (r != 0 || (r = catalog_session_create(req->app->cat, hash, acct.id,
        exp)) != 0) {
        secmem_wipe(tok, sizeof(tok));
        api_reply_storage(req, r, "");
        goto done;
    }
    api_audit(req, acct.id, acct.id, "login", NULL, req->addr);
    req->caller.authed = 1;
    req->caller.acct = acct;
    req->caller.public_id = api_account_public_id(&req->caller.acct);
    o = json_pack("{s:s,s:o,s:s,s:s}", "token", tok, "expires_at",
        api_time_json(exp), "account", api_account_public_id(&acct), "kind",
        acct.kind == CATALOG_KIND_PERSON ? "person" :
        acct.kind == CATALOG_KIND_EMPLOYER ? "employer" : "service");
    secmem_wipe(tok, sizeof(tok));
    api_reply_json(req, 200, o);

done:
    json_decref(body);
    return (0);
}

int
api_logout(struct api_req *req)
{
    int r;

    r = catalog_session_revoke(req->app->cat, req->caller.token_hash);
    auth_forget(req->app->auth, req->caller.token_hash);
    if (r != 0 && r != STORAGE_ENOTFOUND) {
        return (api_reply_storage(req, r, ""));
    }
    return (api_reply_empty(req, 204));
}

int
api_me(struct api_req *req)
{

    return (api_reply_json(req, 200, api_account_json(&req->caller.acct,
        1)));
}

/* Directory lookup of public id ${s} of kind ${kind}. */
static int
dir_lookup(struct api_req *req, int kind)
{
    struct catalog_account acct;
    int r;

    r = api_account_by_public(req->app, req->params[0], kind, &acct);
    if (r == STORAGE_EINVAL) {
        return (api_reply_error(req, 400, "bad_id", "malformed id"));
    }
    if (r == 0 && acct.state != CATALOG_STATE_ACTIVE) {
        r = STORAGE_ENOTFOUND;
    }
    if (r != 0) {
        return (api_reply_storage(req, r, "no such account"));
    }
    return (api_reply_json(req, 200, api_account_json(&acct, 0)));
}

int
api_dir_vault(struct api_req *req)
{

    return (dir_lookup(req, IDS_KIND_PERSON));
}

int
api_dir_employer(struct api_req *req)
{

    return (dir_lookup(req, IDS_KIND_EMPLOYER));
}

int
api_dir_service(struct api_req *req)
{

    return (dir_lookup(req, IDS_KIND_SERVICE));
}
