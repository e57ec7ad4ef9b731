#include "common.h"

SEC("socket")
int count_bits(unsigned long long *ctx)
{
	unsigned long long v = ctx[0];
	int n = 0;
	for (int i = 0; i < 64; i++) {
		if (v & (1ULL << i))
			n++;
		if (n > 60)
			break;
	}
	s64 s = (s64)ctx[1];
	if (s < -5)
		n += 3;
	if ((s32)ctx[2] >= 7)
		n ^= 0x55;
	return n;
}
