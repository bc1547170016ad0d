/* libFuzzer harness for supervisor/xmlrpc.c: any bytes a client of the
 * XML-RPC server sends as a call, read and then written back as values. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xcall call;
	char err[256];
	int r = xmlrpc_parse_call((const char *)data, size, &call, err, sizeof err);
	if (r == 0) {
		if (!call.method || call.params.type != XV_ARRAY)
			abort();
		struct xbuf b = { 0 };
		xb_response_begin(&b);
		for (size_t i = 0; i < call.params.n; i++)
			xb_value(&b, &call.params.items[i]);
		xb_string(&b, call.method);
		xb_response_end(&b);
		/* the answer is text: no NUL byte slipped into it */
		if (!b.oom && strlen(b.p) != b.len)
			abort();
		xb_free(&b);
		xcall_free(&call);
	} else if (!err[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
