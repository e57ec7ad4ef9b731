/* Enum relocations: enumerator existence and values, 32- and 64-bit, with flavours. */
#include "core_test.h"

enum T(core_e) {
	T(CE_A) = 1,
	T(CE_B) = 20,
	T(CE_NEW) = 7,
	T(CE_NEG) = -5,
};
enum T(core_e64) {
	T(CE64_SMALL) = 3,
	T(CE64_BIG) = 0x1234567890ULL,
};

#ifdef TARGET
enum core_e anchor_e;
enum core_e64 anchor_e64;
#else

enum core_e {
	CE_A = 1,
	CE_B = 2,
	CE_GONE = 3,
	CE_NEG = -1,
};
enum core_e___v2 {
	CE_NEW___v2 = 100,
};
enum core_e64 {
	CE64_SMALL = 1,
	CE64_BIG = 0x100000000ULL,
};

SEC("syscall")
int enum_info(void *ctx)
{
	CHECK(bpf_core_enum_value_exists(enum core_e, CE_A));
	CHECK(!bpf_core_enum_value_exists(enum core_e, CE_GONE));
	CHECK(bpf_core_enum_value_exists(enum core_e___v2, CE_NEW___v2));
	CHECK(bpf_core_enum_value(enum core_e, CE_A) == exp_CE_A);
	CHECK(bpf_core_enum_value(enum core_e, CE_B) == exp_CE_B);
	CHECK(bpf_core_enum_value(enum core_e___v2, CE_NEW___v2) == exp_CE_NEW);
	CHECK((int)bpf_core_enum_value(enum core_e, CE_NEG) == exp_CE_NEG);
	CHECK(bpf_core_enum_value(enum core_e64, CE64_SMALL) == exp_CE64_SMALL);
	CHECK(bpf_core_enum_value(enum core_e64, CE64_BIG) == exp_CE64_BIG);
	if (bpf_core_enum_value_exists(enum core_e, CE_GONE))
		return bpf_core_enum_value(enum core_e, CE_GONE) + 1000;
	return 0;
}
#endif
