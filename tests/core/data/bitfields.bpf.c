/* Bitfield relocations: the containing load's offset and size, and the two shifts. */
#include "core_test.h"

struct T(core_bits) {
	unsigned int pad : 3;
	unsigned int flag : 1;            /* moved by 3 bits */
	int sval : 7;                     /* wider, still signed */
	unsigned char mode;               /* was a 4-bit bitfield */
	unsigned long long wide : 40;     /* wider, crosses a 32-bit boundary */
	unsigned int pad2 : 30;
	unsigned int big : 20;            /* moved into the next word */
	short plain;                      /* was a bitfield too */
};

#ifdef TARGET
struct core_bits *anchor_bits;
#else

struct core_bits {
	unsigned int flag : 1;
	int sval : 5;
	unsigned int mode : 4;
	unsigned long long wide : 33;
	unsigned int big : 20;
	int plain : 9;
} PAI;

SEC("syscall")
int bitfield_reads(void *ctx)
{
	struct exp_core_bits t;
	__builtin_memset(&t, 0, sizeof(t));
	t.pad = 7;
	t.flag = 1;
	t.sval = -37;
	t.mode = 0xa5;
	t.wide = 0xab12345678ULL;
	t.pad2 = 0x3fffffff;
	t.big = 0xabcde;
	t.plain = -300;
	struct core_bits *p = OPAQUE((struct core_bits *)&t);

	CHECK(BPF_CORE_READ_BITFIELD(p, flag) == 1);
	CHECK((long long)BPF_CORE_READ_BITFIELD(p, sval) == -37);
	CHECK(BPF_CORE_READ_BITFIELD(p, mode) == 0xa5);
	CHECK(BPF_CORE_READ_BITFIELD(p, wide) == 0xab12345678ULL);
	CHECK(BPF_CORE_READ_BITFIELD(p, big) == 0xabcde);
	CHECK((long long)BPF_CORE_READ_BITFIELD(p, plain) == -300);
	return 0;
}

SEC("syscall")
int bitfield_info(void *ctx)
{
	struct core_bits *p = OPAQUE((struct core_bits *)0);

	CHECK(bpf_core_field_exists(p->big));
	CHECK(bpf_core_field_signed(p->sval));
	CHECK(!bpf_core_field_signed(p->wide));
	CHECK(bpf_core_field_size(p->wide) == 8);
	CHECK(bpf_core_field_size(p->mode) == 1);
	CHECK(__builtin_preserve_field_info(p->sval, BPF_FIELD_RSHIFT_U64) == 64 - 7);
	CHECK(__builtin_preserve_field_info(p->flag, BPF_FIELD_LSHIFT_U64) == 64 - 4);
	return 0;
}
#endif
