#include "common.h"

SEC("socket")
int arith(u32 *ctx)
{
	u32 a = ctx[0], b = ctx[1];
	u32 r = a * 7 + b;
	r ^= a >> 3;
	r |= b << 5;
	r &= 0xfff0;
	r -= a / (b | 1);
	r += a % (b | 1);
	s32 s = (s32)r >> 2;
	if (s < 0 || r > 1000)
		return -s;
	return r;
}
