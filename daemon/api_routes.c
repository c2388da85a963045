/*
 * The route table: every route the daemon serves, in one place.  The
 * `coffred routes` command prints it, and a test checks it against
 * docs/openapi.yaml.
 */
#include "daemon/api.h"

#include <stddef.h>

#define R(m, p, f, h) { m, p, f, h, NULL, NULL, NULL }

const struct route api_routes[] = {
    R("GET", "/v1/health", ROUTE_NOBODY, api_health),
    R("GET", "/v1/info", ROUTE_NOBODY, api_info),
    R("POST", "/v1/accounts", ROUTE_DEFER, api_register),
    R("POST", "/v1/login/challenge", ROUTE_DEFER, api_challenge),
    R("POST", "/v1/login", ROUTE_DEFER, api_login),
    R("POST", "/v1/logout", ROUTE_AUTH | ROUTE_DEFER | ROUTE_PENDING_OK,
        api_logout),
    R("GET", "/v1/me", ROUTE_AUTH | ROUTE_NOBODY | ROUTE_PENDING_OK, api_me),
    R("GET", "/v1/directory/vaults/{vault}", ROUTE_AUTH | ROUTE_NOBODY,
        api_dir_vault),
    R("GET", "/v1/directory/employers/{siret}", ROUTE_AUTH | ROUTE_NOBODY,
        api_dir_employer),
    R("GET", "/v1/directory/services/{name}", ROUTE_AUTH | ROUTE_NOBODY,
        api_dir_service),
    { "PUT", "/v1/blobs/{blob}", ROUTE_AUTH | ROUTE_STREAM | ROUTE_DEFER,
        api_blob_put,
        api_blob_put_begin, api_blob_put_data, api_blob_put_free },
    R("GET", "/v1/blobs/{blob}", ROUTE_AUTH | ROUTE_NOBODY | ROUTE_DEFER,
        api_blob_get),
    R("POST", "/v1/vaults/{vault}/documents", ROUTE_AUTH | ROUTE_DEFER,
        api_doc_deposit),
    R("GET", "/v1/vaults/{vault}/documents", ROUTE_AUTH | ROUTE_NOBODY,
        api_doc_list),
    R("GET", "/v1/vaults/{vault}/audit", ROUTE_AUTH | ROUTE_NOBODY,
        api_audit_get),
    R("GET", "/v1/documents/{doc}", ROUTE_AUTH | ROUTE_NOBODY, api_doc_get),
    R("DELETE", "/v1/documents/{doc}", ROUTE_AUTH | ROUTE_DEFER,
        api_doc_delete),
    R("GET", "/v1/shared", ROUTE_AUTH | ROUTE_NOBODY, api_shared_list),
    R("GET", "/v1/documents/{doc}/grants", ROUTE_AUTH | ROUTE_NOBODY,
        api_grant_list),
    R("PUT", "/v1/documents/{doc}/grants/{account}", ROUTE_AUTH | ROUTE_DEFER,
        api_grant_put),
    R("DELETE", "/v1/documents/{doc}/grants/{account}",
        ROUTE_AUTH | ROUTE_DEFER,
        api_grant_delete),
    R("POST", "/v1/documents/{doc}/links", ROUTE_AUTH | ROUTE_DEFER,
        api_link_create),
    R("GET", "/v1/documents/{doc}/links", ROUTE_AUTH | ROUTE_NOBODY,
        api_link_list),
    R("DELETE", "/v1/documents/{doc}/links/{link}", ROUTE_AUTH | ROUTE_DEFER,
        api_link_delete),
    R("GET", "/s/{token}", ROUTE_NOBODY | ROUTE_DEFER, api_share_get),
    R("GET", "/s/{token}/signature", ROUTE_NOBODY, api_share_signature),
    R("GET", "/v1/oppositions", ROUTE_AUTH | ROUTE_NOBODY, api_opp_list),
    R("PUT", "/v1/oppositions/{siret}", ROUTE_AUTH | ROUTE_DEFER, api_opp_put),
    R("DELETE", "/v1/oppositions/{siret}", ROUTE_AUTH | ROUTE_DEFER,
        api_opp_delete),
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
