#include "common.h"

volatile const u32 limit = 42;
u64 total;
static char message[16] = "hello";
unsigned short shorts[4];

SEC("socket")
int globals(unsigned char *ctx)
{
	u64 big = 0x1122334455667788ULL;
	total += ctx[0] + big;
	total ^= 0x8000000000000001ULL;
	shorts[1] = (unsigned short)ctx[1];
	message[2] = ctx[2];
	*(u32 *)&shorts[2] = 77;
	if (total > limit)
		return message[ctx[3] & 7];
	return (s8)ctx[4] + (s16)shorts[3];
}
