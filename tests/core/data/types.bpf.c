/* Type relocations: existence, size, ids and type matching. */
#include "core_test.h"

struct T(core_ty) {
	int a;
	long long b;
};
typedef struct T(core_ty) T(core_ty_t);
struct T(core_flav) {
	int a;
	long long b;
	int c;
};
union T(core_un) {
	int i;
	char c[12];
};
struct T(core_shape) {
	unsigned int id;
	struct T(core_ty) *next;
	int vals[3];
};
struct T(core_shape_bad) {
	int id;                           /* signedness differs from the local one */
};

#ifdef TARGET
struct core_ty *anchor_ty;
core_ty_t *anchor_ty_t;
struct core_flav *anchor_flav;
union core_un *anchor_un;
struct core_shape *anchor_shape;
struct core_shape_bad *anchor_shape_bad;
#else

struct core_ty {
	int a;
} PAI;
typedef struct core_ty core_ty_t;
/* Only a flavour is declared locally: found under its essential name. */
struct core_flav___v2 {
	int a;
} PAI;
union core_un {
	int i;
} PAI;
struct core_absent {
	int x;
} PAI;
typedef int core_absent_t;
struct core_shape {
	struct core_ty *next;
	unsigned int id;
	int vals[3];
} PAI;
struct core_shape_bad {
	unsigned int id;
} PAI;

SEC("syscall")
int type_info(void *ctx)
{
	CHECK(bpf_core_type_exists(struct core_ty));
	CHECK(bpf_core_type_exists(struct core_flav___v2));
	CHECK(bpf_core_type_size(struct core_flav___v2) == sizeof(struct exp_core_flav));
	CHECK(bpf_core_type_exists(core_ty_t));
	CHECK(bpf_core_type_exists(union core_un));
	CHECK(!bpf_core_type_exists(struct core_absent));
	CHECK(!bpf_core_type_exists(core_absent_t));
	CHECK(bpf_core_type_size(struct core_ty) == sizeof(struct exp_core_ty));
	CHECK(bpf_core_type_size(core_ty_t) == sizeof(exp_core_ty_t));
	CHECK(bpf_core_type_size(union core_un) == sizeof(union exp_core_un));
	CHECK(bpf_core_type_size(struct core_absent) == 0);
	CHECK(bpf_core_type_matches(struct core_ty));
	CHECK(bpf_core_type_matches(struct core_shape));
	CHECK(!bpf_core_type_matches(struct core_shape_bad));
	CHECK(!bpf_core_type_matches(struct core_absent));
	CHECK(bpf_core_type_id_kernel(struct core_ty) != 0);
	CHECK(bpf_core_type_id_kernel(struct core_absent) == 0);
	CHECK(bpf_core_type_id_local(struct core_absent) != 0);
	return 0;
}
#endif
