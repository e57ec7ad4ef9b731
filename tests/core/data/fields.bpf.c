/* Field relocations: offsets, sizes, existence and signedness of plain fields. */
#include "core_test.h"

/* ---- The target's layouts ------------------------------------------------------------------ */
struct T(core_inner) {
	int pad;
	int v;
};

struct T(core_basic) {
	int a;
	char pad0[12];
	long long b;                      /* moved */
	unsigned long long grown;         /* was u32: loads are widened */
	union {                           /* was a direct member */
		int in_anon;
		unsigned int alias;
	};
	int direct;                       /* was inside an anonymous struct */
	struct T(core_inner) inner;       /* inner.v moved inside the nested struct */
	struct T(core_inner) *ptr;
	char pad1[4];
	int arr[6];                       /* longer and moved */
	struct T(core_inner) items[3];
	int state_new;                    /* renamed from state_old */
	short narrowed;                   /* was int: reading it must fail (err_*) */
	unsigned short ushort_grown;      /* was unsigned char */
	int tail[];                       /* flexible array, still last */
};

#ifdef TARGET
struct core_basic *anchor_basic;
#else

/* ---- What the program was compiled against ------------------------------------------------- */
struct core_inner {
	int v;
} PAI;

struct core_basic {
	int a;
	long long b;
	unsigned int grown;
	int in_anon;
	struct {
		int direct;
	};
	struct core_inner inner;
	struct core_inner *ptr;
	int arr[4];
	struct core_inner items[2];
	int state_old;
	int removed;
	int narrowed;
	unsigned char ushort_grown;
	int tail[];
} PAI;

/* A flavour: the same kernel type, with the field's new name. */
struct core_basic___new {
	int state_new;
} PAI;

struct target_buf {
	struct exp_core_basic s;
	int tail_space[4];
};

static __always_inline void fill(struct target_buf *t, struct exp_core_inner *other)
{
	__builtin_memset(t, 0, sizeof(*t));
	other->v = 77;
	t->s.a = 1;
	t->s.b = 0x1122334455LL;
	t->s.grown = 7;
	t->s.in_anon = 3;
	t->s.direct = 4;
	t->s.inner.v = 5;
	t->s.ptr = other;
	t->s.arr[2] = 6;
	t->s.items[1].v = 8;
	t->s.state_new = 42;
	t->s.ushort_grown = 200;
	t->s.tail[3] = 9; /* lands in tail_space */
}

SEC("syscall")
int field_reads(void *ctx)
{
	struct target_buf t;
	struct exp_core_inner other;
	fill(&t, &other);
	struct core_basic *p = OPAQUE((struct core_basic *)&t);

	CHECK(p->a == 1);
	CHECK(p->b == 0x1122334455LL);
	CHECK(p->grown == 7);
	CHECK(p->in_anon == 3);
	CHECK(p->direct == 4);
	CHECK(p->inner.v == 5);
	CHECK(p->ptr->v == 77);
	CHECK(p->arr[2] == 6);
	CHECK(p->items[1].v == 8);
	CHECK(p->ushort_grown == 200);
	CHECK(p->tail[3] == 9);
	CHECK(((struct core_basic___new *)p)->state_new == 42);
	/* A guarded read of a removed field: poisoned, but dead code the verifier drops. */
	if (bpf_core_field_exists(p->removed))
		return p->removed + 1000;
	return 0;
}

SEC("syscall")
int field_info(void *ctx)
{
	struct core_basic *p = OPAQUE((struct core_basic *)0);

	CHECK(bpf_core_field_offset(p->b) == offsetof(struct exp_core_basic, b));
	CHECK(bpf_core_field_offset(p->inner.v) == offsetof(struct exp_core_basic, inner.v));
	CHECK(bpf_core_field_offset(p->arr[3]) == offsetof(struct exp_core_basic, arr[3]));
	CHECK(bpf_core_field_offset(p->items[1].v) == offsetof(struct exp_core_basic, items[1].v));
	CHECK(bpf_core_field_offset(struct core_basic, in_anon) == offsetof(struct exp_core_basic, in_anon));
	CHECK(bpf_core_field_size(p->b) == sizeof(long long));
	CHECK(bpf_core_field_size(p->grown) == sizeof(unsigned long long));
	CHECK(bpf_core_field_size(p->narrowed) == sizeof(short));
	CHECK(bpf_core_field_size(p->arr) == sizeof(int[6]));
	CHECK(bpf_core_field_size(p->inner) == sizeof(struct exp_core_inner));
	CHECK(bpf_core_field_exists(p->a));
	CHECK(bpf_core_field_exists(p->tail));
	CHECK(!bpf_core_field_exists(p->removed));
	CHECK(!bpf_core_field_exists(struct core_basic, state_old));
	CHECK(bpf_core_field_exists(struct core_basic___new, state_new));
	CHECK(bpf_core_field_signed(p->a));
	CHECK(bpf_core_field_signed(p->narrowed));
	CHECK(!bpf_core_field_signed(p->grown));
	CHECK(!bpf_core_field_signed(p->ushort_grown));
	return 0;
}
#endif
