#include "common.h"

SEC("socket")
int v4(s64 *ctx)
{
	s64 a = ctx[0], b = ctx[1];
	s32 c = (s32)ctx[2];
	s64 r = a / (b | 1) + a % (b | 3);
	r += (s8)a + (s16)b + (s32)c;
	r += c / 7;
	r += __builtin_bswap16((unsigned short)a) + __builtin_bswap32((u32)b) + __builtin_bswap64(a);
	volatile s8 sb = (s8)ctx[3];
	volatile s16 sh = (s16)ctx[3];
	volatile s32 sw = (s32)ctx[3];
	r += sb + sh + sw; /* sign-extending loads from the stack */
	return r;
}
