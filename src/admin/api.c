/*
 * api.c - routing the admin API's requests; see api.h.
 */
#include "admin/api.h"

#include <string.h>

#include "admin/reply.h"

void
admin_api_handle(struct admin_api *api, const struct admin_request *rq,
    struct admin_response *rs)
{
	memset(rs, 0, sizeof(*rs));
	api->requests++;
	if (rq->path_len < strlen(ADMIN_API_PREFIX) ||
	    memcmp(rq->path, ADMIN_API_PREFIX, strlen(ADMIN_API_PREFIX)) != 0) {
		admin_reply_error(rs, 404, "no such endpoint (the admin API is under %s)",
		    ADMIN_API_PREFIX);
		return;
	}
	/* No token is stored yet: nothing can be authorised. */
	admin_reply_error(rs, 401, "a bearer token is needed (Authorization: Bearer lct_...)");
}
