/* apidoc — doc/openapi.json as bytes in corrald (apidoc.h). The assembler
 * takes the file whole (.incbin), so no generated C and no hand escaping;
 * the Makefile makes this object depend on the file. */
#include "supervisor/apidoc.h"

__asm__(".section .rodata\n"
	".balign 16\n"
	"apidoc_start:\n"
	".incbin \"doc/openapi.json\"\n"
	"apidoc_end:\n"
	".previous\n");

const char *apidoc_text(size_t *len)
{
	extern const char apidoc_start[], apidoc_end[];
	*len = (size_t)(apidoc_end - apidoc_start);
	return apidoc_start;
}
