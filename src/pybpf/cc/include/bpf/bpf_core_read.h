/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_core_read.h: CO-RE ("compile once, run everywhere") reads and queries.
 *
 * Each macro expands to one of clang's BPF builtins, which leave a relocation record in .BTF.ext
 * instead of a hard-coded offset; the loader patches the instruction for the running kernel.
 * The kinds below are the kernel's enum bpf_core_relo_kind numbering where clang uses it
 * directly (field info), and clang's own small enums for the type/enum builtins.
 */
#ifndef __PYBPF_BPF_CORE_READ_H
#define __PYBPF_BPF_CORE_READ_H

#include "bpf_helpers.h"

/* Second argument of __builtin_preserve_field_info (== enum bpf_core_relo_kind 0..5). */
enum bpf_field_info_kind {
	BPF_FIELD_BYTE_OFFSET = 0,
	BPF_FIELD_BYTE_SIZE = 1,
	BPF_FIELD_EXISTS = 2,
	BPF_FIELD_SIGNED = 3,
	BPF_FIELD_LSHIFT_U64 = 4,
	BPF_FIELD_RSHIFT_U64 = 5,
};

/* Second argument of __builtin_btf_type_id (relocations TYPE_ID_LOCAL=6 / TYPE_ID_TARGET=7). */
enum bpf_type_id_kind {
	BPF_TYPE_ID_LOCAL = 0,
	BPF_TYPE_ID_TARGET = 1,
};

/* Second argument of __builtin_preserve_type_info (TYPE_EXISTS=8, TYPE_SIZE=9, TYPE_MATCHES=12). */
enum bpf_type_info_kind {
	BPF_TYPE_EXISTS = 0,
	BPF_TYPE_SIZE = 1,
	BPF_TYPE_MATCHES = 2,
};

/* Second argument of __builtin_preserve_enum_value (ENUMVAL_EXISTS=10, ENUMVAL_VALUE=11). */
enum bpf_enum_value_kind {
	BPF_ENUMVAL_EXISTS = 0,
	BPF_ENUMVAL_VALUE = 1,
};

/* ---- Field and type queries --------------------------------------------------------------
 * Field queries take either an access expression (s->a.b) or a type and a field name
 * (struct task_struct, pid).
 */
#define ___bpf_field_ref1(field) (field)
#define ___bpf_field_ref2(type, field) (((typeof(type) *)0)->field)
#define ___bpf_field_ref(args...) ___bpf_apply(___bpf_field_ref, ___bpf_narg(args))(args)

#define bpf_core_field_exists(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_EXISTS)
#define bpf_core_field_size(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_BYTE_SIZE)
#define bpf_core_field_offset(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_BYTE_OFFSET)
#define bpf_core_field_signed(field...) \
	__builtin_preserve_field_info(___bpf_field_ref(field), BPF_FIELD_SIGNED)

#define bpf_core_type_id_local(type) __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_LOCAL)
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(*(typeof(type) *)0, BPF_TYPE_ID_TARGET)
#define bpf_core_type_exists(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_EXISTS)
#define bpf_core_type_size(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_SIZE)
#define bpf_core_type_matches(type) __builtin_preserve_type_info(*(typeof(type) *)0, BPF_TYPE_MATCHES)

#define bpf_core_enum_value_exists(enum_type, enum_value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)enum_value, BPF_ENUMVAL_EXISTS)
#define bpf_core_enum_value(enum_type, enum_value) \
	__builtin_preserve_enum_value(*(typeof(enum_type) *)enum_value, BPF_ENUMVAL_VALUE)

/*
 * View a kernel pointer as `type *` for direct (read-only) loads, checked by the verifier
 * against the kernel's BTF id of type: the bpf_rdonly_cast kfunc (6.4+).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __weak __ksym;
#define bpf_core_cast(ptr, type) \
	((typeof(type) *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

/* ---- Bitfields ----------------------------------------------------------------------------
 * A bitfield is read as the enclosing bytes, then shifted left to drop the bits above it and
 * right (arithmetically when signed) to drop those below; all four numbers are relocated.
 */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ___bpf_bitfield_dst(val, size) ((void *)&(val))
#else
#define ___bpf_bitfield_dst(val, size) ((void *)&(val) + 8 - (size))
#endif

#define ___bpf_bitfield_finish(val, s, field)                                  \
	({                                                                     \
		(val) <<= __builtin_preserve_field_info((s)->field, BPF_FIELD_LSHIFT_U64); \
		if (__builtin_preserve_field_info((s)->field, BPF_FIELD_SIGNED)) \
			(val) = (unsigned long long)((long long)(val) >>       \
				__builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64)); \
		else                                                           \
			(val) >>= __builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64); \
		(val);                                                         \
	})

/* For memory the program may not load directly (tracing): goes through bpf_probe_read_kernel. */
#define BPF_CORE_READ_BITFIELD_PROBED(s, field)                                \
	({                                                                     \
		unsigned long long ___pybpf_val = 0;                           \
		unsigned int ___pybpf_size =                                   \
			__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_SIZE); \
		bpf_probe_read_kernel(___bpf_bitfield_dst(___pybpf_val, ___pybpf_size), \
				      ___pybpf_size,                           \
				      (const void *)(s) +                      \
				      __builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_OFFSET)); \
		___bpf_bitfield_finish(___pybpf_val, s, field);                \
	})

/* For memory the program may load directly (BTF pointers, context): a plain sized load. */
#define BPF_CORE_READ_BITFIELD(s, field)                                       \
	({                                                                     \
		const void *___pybpf_at = (const void *)(s) +                  \
			__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_OFFSET); \
		unsigned long long ___pybpf_val;                               \
		switch (__builtin_preserve_field_info((s)->field, BPF_FIELD_BYTE_SIZE)) { \
		case 1: ___pybpf_val = *(const unsigned char *)___pybpf_at; break; \
		case 2: ___pybpf_val = *(const unsigned short *)___pybpf_at; break; \
		case 4: ___pybpf_val = *(const unsigned int *)___pybpf_at; break; \
		case 8: ___pybpf_val = *(const unsigned long long *)___pybpf_at; break; \
		default: ___pybpf_val = 0; break;                              \
		}                                                              \
		___pybpf_val <<= __builtin_preserve_field_info((s)->field, BPF_FIELD_LSHIFT_U64); \
		if (__builtin_preserve_field_info((s)->field, BPF_FIELD_SIGNED)) \
			___pybpf_val = (unsigned long long)((long long)___pybpf_val >> \
				__builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64)); \
		else                                                           \
			___pybpf_val >>= __builtin_preserve_field_info((s)->field, BPF_FIELD_RSHIFT_U64); \
		___pybpf_val;                                                  \
	})

/* ---- Single reads ---------------------------------------------------------------------------
 * src is an access expression (&t->field); wrapping it in __builtin_preserve_access_index makes
 * the offset relocatable even for types declared without the preserve_access_index attribute.
 */
#define bpf_core_read(dst, sz, src) \
	bpf_probe_read_kernel(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user(dst, sz, src) \
	bpf_probe_read_user(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_str(dst, sz, src) \
	bpf_probe_read_kernel_str(dst, sz, (const void *)__builtin_preserve_access_index(src))
#define bpf_core_read_user_str(dst, sz, src) \
	bpf_probe_read_user_str(dst, sz, (const void *)__builtin_preserve_access_index(src))

/* Plain (non-CO-RE) reads with the same (dst, size, src) shape, for the BPF_PROBE_READ family. */
#define ___bpf_probe_read(dst, sz, src) bpf_probe_read_kernel(dst, sz, (const void *)(src))
#define ___bpf_probe_read_user(dst, sz, src) bpf_probe_read_user(dst, sz, (const void *)(src))
#define ___bpf_probe_read_str(dst, sz, src) bpf_probe_read_kernel_str(dst, sz, (const void *)(src))
#define ___bpf_probe_read_user_str(dst, sz, src) bpf_probe_read_user_str(dst, sz, (const void *)(src))

/* ---- Pointer chases: BPF_CORE_READ(t, real_parent, tgid) == t->real_parent->tgid -------------
 * Every hop is its own probe read into ___pybpf_p (each pointer may be unreadable memory); the
 * type of each intermediate comes from typeof() over the chain so far, which evaluates nothing.
 */
#define ___bpf_hop(fn, type, field) \
	fn((void *)&___pybpf_p, sizeof(___pybpf_p), &((type)___pybpf_p)->field)
#define ___bpf_last(fn, dst, type, field) \
	fn((void *)(dst), sizeof(*(dst)), &((type)___pybpf_p)->field)

#define ___bpf_arrow1(s, a) (s)->a
#define ___bpf_arrow2(s, a, b) (s)->a->b
#define ___bpf_arrow3(s, a, b, c) (s)->a->b->c
#define ___bpf_arrow4(s, a, b, c, d) (s)->a->b->c->d
#define ___bpf_arrow5(s, a, b, c, d, e) (s)->a->b->c->d->e
#define ___bpf_arrow6(s, a, b, c, d, e, f) (s)->a->b->c->d->e->f
#define ___bpf_arrow7(s, a, b, c, d, e, f, g) (s)->a->b->c->d->e->f->g
#define ___bpf_arrow8(s, a, b, c, d, e, f, g, h) (s)->a->b->c->d->e->f->g->h
#define ___bpf_arrow9(s, a, b, c, d, e, f, g, h, i) (s)->a->b->c->d->e->f->g->h->i
#define ___bpf_arrow10(s, a, b, c, d, e, f, g, h, i, j) (s)->a->b->c->d->e->f->g->h->i->j

#define ___bpf_rd1(fn, last_fn, dst, s, a) \
	___bpf_last(last_fn, dst, typeof(s), a)
#define ___bpf_rd2(fn, last_fn, dst, s, a, b) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow1(s, a)), b)
#define ___bpf_rd3(fn, last_fn, dst, s, a, b, c) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow2(s, a, b)), c)
#define ___bpf_rd4(fn, last_fn, dst, s, a, b, c, d) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow3(s, a, b, c)), d)
#define ___bpf_rd5(fn, last_fn, dst, s, a, b, c, d, e) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow4(s, a, b, c, d)), e)
#define ___bpf_rd6(fn, last_fn, dst, s, a, b, c, d, e, f) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_hop(fn, typeof(___bpf_arrow4(s, a, b, c, d)), e); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow5(s, a, b, c, d, e)), f)
#define ___bpf_rd7(fn, last_fn, dst, s, a, b, c, d, e, f, g) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_hop(fn, typeof(___bpf_arrow4(s, a, b, c, d)), e); \
	___bpf_hop(fn, typeof(___bpf_arrow5(s, a, b, c, d, e)), f); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow6(s, a, b, c, d, e, f)), g)
#define ___bpf_rd8(fn, last_fn, dst, s, a, b, c, d, e, f, g, h) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_hop(fn, typeof(___bpf_arrow4(s, a, b, c, d)), e); \
	___bpf_hop(fn, typeof(___bpf_arrow5(s, a, b, c, d, e)), f); \
	___bpf_hop(fn, typeof(___bpf_arrow6(s, a, b, c, d, e, f)), g); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow7(s, a, b, c, d, e, f, g)), h)
#define ___bpf_rd9(fn, last_fn, dst, s, a, b, c, d, e, f, g, h, i) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_hop(fn, typeof(___bpf_arrow4(s, a, b, c, d)), e); \
	___bpf_hop(fn, typeof(___bpf_arrow5(s, a, b, c, d, e)), f); \
	___bpf_hop(fn, typeof(___bpf_arrow6(s, a, b, c, d, e, f)), g); \
	___bpf_hop(fn, typeof(___bpf_arrow7(s, a, b, c, d, e, f, g)), h); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow8(s, a, b, c, d, e, f, g, h)), i)
#define ___bpf_rd10(fn, last_fn, dst, s, a, b, c, d, e, f, g, h, i, j) \
	___bpf_hop(fn, typeof(s), a); \
	___bpf_hop(fn, typeof(___bpf_arrow1(s, a)), b); \
	___bpf_hop(fn, typeof(___bpf_arrow2(s, a, b)), c); \
	___bpf_hop(fn, typeof(___bpf_arrow3(s, a, b, c)), d); \
	___bpf_hop(fn, typeof(___bpf_arrow4(s, a, b, c, d)), e); \
	___bpf_hop(fn, typeof(___bpf_arrow5(s, a, b, c, d, e)), f); \
	___bpf_hop(fn, typeof(___bpf_arrow6(s, a, b, c, d, e, f)), g); \
	___bpf_hop(fn, typeof(___bpf_arrow7(s, a, b, c, d, e, f, g)), h); \
	___bpf_hop(fn, typeof(___bpf_arrow8(s, a, b, c, d, e, f, g, h)), i); \
	___bpf_last(last_fn, dst, typeof(___bpf_arrow9(s, a, b, c, d, e, f, g, h, i)), j)

#define ___bpf_arrow(s, fields...) ___bpf_apply(___bpf_arrow, ___bpf_narg(fields))(s, fields)
/* fn reads each intermediate pointer, last_fn the final field (a string read for *_STR_INTO). */
#define ___bpf_chain(fn, last_fn, dst, s, fields...)                           \
	({                                                                     \
		const void *___pybpf_p = (const void *)(s);                    \
		___bpf_apply(___bpf_rd, ___bpf_narg(fields))(fn, last_fn, dst, s, fields); \
	})

/* Read the end of a chain into *dst; returns the last read's result (0 or negative errno). */
#define BPF_CORE_READ_INTO(dst, src, fields...) \
	___bpf_chain(bpf_core_read, bpf_core_read, dst, src, fields)
#define BPF_CORE_READ_USER_INTO(dst, src, fields...) \
	___bpf_chain(bpf_core_read_user, bpf_core_read_user, dst, src, fields)
#define BPF_PROBE_READ_INTO(dst, src, fields...) \
	___bpf_chain(___bpf_probe_read, ___bpf_probe_read, dst, src, fields)
#define BPF_PROBE_READ_USER_INTO(dst, src, fields...) \
	___bpf_chain(___bpf_probe_read_user, ___bpf_probe_read_user, dst, src, fields)

/* The same for a string at the end of the chain: the last read stops at the NUL. */
#define BPF_CORE_READ_STR_INTO(dst, src, fields...) \
	___bpf_chain(bpf_core_read, bpf_core_read_str, dst, src, fields)
#define BPF_CORE_READ_USER_STR_INTO(dst, src, fields...) \
	___bpf_chain(bpf_core_read_user, bpf_core_read_user_str, dst, src, fields)
#define BPF_PROBE_READ_STR_INTO(dst, src, fields...) \
	___bpf_chain(___bpf_probe_read, ___bpf_probe_read_str, dst, src, fields)
#define BPF_PROBE_READ_USER_STR_INTO(dst, src, fields...) \
	___bpf_chain(___bpf_probe_read_user, ___bpf_probe_read_user_str, dst, src, fields)

/* Read the end of a chain and yield it as a value of the field's own type. */
#define BPF_CORE_READ(src, fields...)                                          \
	({                                                                     \
		typeof(___bpf_arrow(src, fields)) ___pybpf_val;                \
		BPF_CORE_READ_INTO(&___pybpf_val, src, fields);                \
		___pybpf_val;                                                  \
	})
#define BPF_CORE_READ_USER(src, fields...)                                     \
	({                                                                     \
		typeof(___bpf_arrow(src, fields)) ___pybpf_val;                \
		BPF_CORE_READ_USER_INTO(&___pybpf_val, src, fields);           \
		___pybpf_val;                                                  \
	})
#define BPF_PROBE_READ(src, fields...)                                         \
	({                                                                     \
		typeof(___bpf_arrow(src, fields)) ___pybpf_val;                \
		BPF_PROBE_READ_INTO(&___pybpf_val, src, fields);               \
		___pybpf_val;                                                  \
	})
#define BPF_PROBE_READ_USER(src, fields...)                                    \
	({                                                                     \
		typeof(___bpf_arrow(src, fields)) ___pybpf_val;                \
		BPF_PROBE_READ_USER_INTO(&___pybpf_val, src, fields);          \
		___pybpf_val;                                                  \
	})

#endif /* __PYBPF_BPF_CORE_READ_H */
