/* Relocations that cannot be satisfied on the target: every err_* program must fail to load
 * with an error naming the relocation (poisoned instruction), or fail to relocate. */
#include "core_test.h"

struct T(core_err) {
	long long first;
	short narrowed;                   /* was int: a signed field that changed size */
};
enum T(core_err_e) {
	T(CEE_KEPT) = 1,
};
/* Two flavours of one type that disagree on where x is. */
struct core_amb___one {
	int x;
};
struct core_amb___two {
	int pad;
	int x;
};

#ifdef TARGET
struct core_err *anchor_err;
enum core_err_e anchor_err_e;
struct core_amb___one *anchor_amb1;
struct core_amb___two *anchor_amb2;
#else

struct core_err {
	int removed;
	int narrowed;
} PAI;
enum core_err_e {
	CEE_KEPT = 1,
	CEE_GONE = 2,
};
struct core_missing {
	int x;
} PAI;
struct core_amb {
	int x;
} PAI;

SEC("syscall")
int err_removed_field(void *ctx)
{
	struct exp_core_err t = {};
	struct core_err *p = OPAQUE((struct core_err *)&t);
	return p->removed;
}

SEC("syscall")
int err_missing_type(void *ctx)
{
	struct exp_core_err t = {};
	struct core_missing *p = OPAQUE((struct core_missing *)&t);
	return p->x;
}

SEC("syscall")
int err_signed_resized(void *ctx)
{
	struct exp_core_err t = {};
	struct core_err *p = OPAQUE((struct core_err *)&t);
	return p->narrowed;
}

SEC("syscall")
int err_missing_enumerator(void *ctx)
{
	return bpf_core_enum_value(enum core_err_e, CEE_GONE);
}

SEC("syscall")
int err_ambiguous(void *ctx)
{
	return bpf_core_field_offset(struct core_amb, x);
}
#endif
