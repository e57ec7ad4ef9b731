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
#define __pybpf_field_1(access) (access)
#define __pybpf_field_2(type, member) (((typeof(type) *)0)->member)
#define __pybpf_field(...) __pybpf_join(__pybpf_field_, __pybpf_argc(__VA_ARGS__))(__VA_ARGS__)

#define bpf_core_field_exists(field...) \
	__builtin_preserve_field_info(__pybpf_field(field), BPF_FIELD_EXISTS)
#define bpf_core_field_size(field...) \
	__builtin_preserve_field_info(__pybpf_field(field), BPF_FIELD_BYTE_SIZE)
#define bpf_core_field_offset(field...) \
	__builtin_preserve_field_info(__pybpf_field(field), BPF_FIELD_BYTE_OFFSET)
#define bpf_core_field_signed(field...) \
	__builtin_preserve_field_info(__pybpf_field(field), BPF_FIELD_SIGNED)

/* The type builtins take an expression of the type, never evaluated: a dereferenced null. */
#define __pybpf_of_type(type) (*(typeof(type) *)0)
#define bpf_core_type_id_local(type) __builtin_btf_type_id(__pybpf_of_type(type), BPF_TYPE_ID_LOCAL)
#define bpf_core_type_id_kernel(type) __builtin_btf_type_id(__pybpf_of_type(type), BPF_TYPE_ID_TARGET)
#define bpf_core_type_exists(type) __builtin_preserve_type_info(__pybpf_of_type(type), BPF_TYPE_EXISTS)
#define bpf_core_type_size(type) __builtin_preserve_type_info(__pybpf_of_type(type), BPF_TYPE_SIZE)
#define bpf_core_type_matches(type) __builtin_preserve_type_info(__pybpf_of_type(type), BPF_TYPE_MATCHES)

/*
 * clang accepts exactly one spelling for the enumerator, `*(enum type *)ENUMERATOR`, with no
 * parentheses around it, so it cannot go through a helper macro.
 */
#define bpf_core_enum_value_exists(etype, name) \
	__builtin_preserve_enum_value(*(typeof(etype) *)name, BPF_ENUMVAL_EXISTS)
#define bpf_core_enum_value(etype, name) \
	__builtin_preserve_enum_value(*(typeof(etype) *)name, BPF_ENUMVAL_VALUE)

/*
 * View a kernel pointer as `type *` for direct (read-only) loads, checked by the verifier
 * against the kernel's BTF id of type: the bpf_rdonly_cast kfunc (6.4+).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __weak __ksym;
#define bpf_core_cast(ptr, type) \
	((typeof(type) *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

/* ---- Bitfields ----------------------------------------------------------------------------
 * Load the bytes that contain the bitfield into a u64, then two shifts cut it out: left to push
 * the bits above it off the top, right (sign-extending for a signed field) to drop the ones
 * below.  Byte offset, byte size and both shift counts are each a relocation of their own.
 */
#define __pybpf_bf(s, field, what) __builtin_preserve_field_info((s)->field, BPF_FIELD_##what)
#define __pybpf_bf_cut(raw, s, field)                                          \
	(__pybpf_bf(s, field, SIGNED)                                          \
		 ? (unsigned long long)((long long)((raw) << __pybpf_bf(s, field, LSHIFT_U64)) >> \
					__pybpf_bf(s, field, RSHIFT_U64))      \
		 : ((raw) << __pybpf_bf(s, field, LSHIFT_U64)) >> __pybpf_bf(s, field, RSHIFT_U64))

/* Where in a u64 the loaded bytes must land so that they read as its low-order bytes. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define __pybpf_bf_landing(word, nbytes) ((void *)&(word))
#else
#define __pybpf_bf_landing(word, nbytes) ((void *)&(word) + 8 - (nbytes))
#endif

/* For memory the program may not load directly (tracing): goes through bpf_probe_read_kernel. */
#define BPF_CORE_READ_BITFIELD_PROBED(s, field)                                \
	({                                                                     \
		unsigned long long __pybpf_word = 0;                           \
		unsigned int __pybpf_nbytes = __pybpf_bf(s, field, BYTE_SIZE); \
		bpf_probe_read_kernel(__pybpf_bf_landing(__pybpf_word, __pybpf_nbytes), __pybpf_nbytes, \
				      (const void *)(s) + __pybpf_bf(s, field, BYTE_OFFSET)); \
		__pybpf_bf_cut(__pybpf_word, s, field);                        \
	})

/* For memory the program may load directly (BTF pointers, context): one load of the right width. */
#define BPF_CORE_READ_BITFIELD(s, field)                                       \
	({                                                                     \
		const void *__pybpf_at = (const void *)(s) + __pybpf_bf(s, field, BYTE_OFFSET); \
		unsigned long long __pybpf_word = 0;                           \
		switch (__pybpf_bf(s, field, BYTE_SIZE)) {                     \
		case 1: __pybpf_word = *(const __u8 *)__pybpf_at; break;       \
		case 2: __pybpf_word = *(const __u16 *)__pybpf_at; break;      \
		case 4: __pybpf_word = *(const __u32 *)__pybpf_at; break;      \
		case 8: __pybpf_word = *(const __u64 *)__pybpf_at; break;      \
		}                                                              \
		__pybpf_bf_cut(__pybpf_word, s, field);                        \
	})

/* ---- Single reads ---------------------------------------------------------------------------
 * src is an access expression (&t->field); wrapping it in __builtin_preserve_access_index makes
 * the offset relocatable even for types declared without the preserve_access_index attribute.
 */
#define __pybpf_relocated(src) ((const void *)__builtin_preserve_access_index(src))
#define bpf_core_read(dst, sz, src) bpf_probe_read_kernel(dst, sz, __pybpf_relocated(src))
#define bpf_core_read_user(dst, sz, src) bpf_probe_read_user(dst, sz, __pybpf_relocated(src))
#define bpf_core_read_str(dst, sz, src) bpf_probe_read_kernel_str(dst, sz, __pybpf_relocated(src))
#define bpf_core_read_user_str(dst, sz, src) bpf_probe_read_user_str(dst, sz, __pybpf_relocated(src))

/* Non-relocated reads of the same (dst, size, src) shape, used by the BPF_PROBE_READ family. */
#define __pybpf_raw_read(dst, sz, src) bpf_probe_read_kernel(dst, sz, (const void *)(src))
#define __pybpf_raw_read_user(dst, sz, src) bpf_probe_read_user(dst, sz, (const void *)(src))
#define __pybpf_raw_read_str(dst, sz, src) bpf_probe_read_kernel_str(dst, sz, (const void *)(src))
#define __pybpf_raw_read_user_str(dst, sz, src) bpf_probe_read_user_str(dst, sz, (const void *)(src))

/* ---- Pointer chases: BPF_CORE_READ(t, real_parent, tgid) is t->real_parent->tgid ---------------
 * The chain is walked with typed cursors: __pybpf_cur_0 holds the source pointer, and each hop
 * declares the next cursor with the type of the member it follows (typeof evaluates nothing)
 * and fills it with its own read, since any pointer on the way may be unreadable memory.  The
 * last member is read by whichever macro owns the chain, through __pybpf_tail: into a caller's
 * buffer, or into a value of the member's own type.  The &* keeps a cursor free of the const
 * a const source would give the member.
 */
#define __pybpf_hop(rd, from, to, member)                                      \
	__typeof__(&*(from)->member) to;                                       \
	rd((void *)&(to), sizeof(to), &(from)->member);

/* __pybpf_hops_N: the reads of every member but the last; __pybpf_tail_N: the last access. */
#define __pybpf_hops_1(rd, f1)
#define __pybpf_hops_2(rd, f1, f2) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1)
#define __pybpf_hops_3(rd, f1, f2, f3) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2)
#define __pybpf_hops_4(rd, f1, f2, f3, f4) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3)
#define __pybpf_hops_5(rd, f1, f2, f3, f4, f5) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4)
#define __pybpf_hops_6(rd, f1, f2, f3, f4, f5, f6) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4) \
	__pybpf_hop(rd, __pybpf_cur_4, __pybpf_cur_5, f5)
#define __pybpf_hops_7(rd, f1, f2, f3, f4, f5, f6, f7) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4) \
	__pybpf_hop(rd, __pybpf_cur_4, __pybpf_cur_5, f5) \
	__pybpf_hop(rd, __pybpf_cur_5, __pybpf_cur_6, f6)
#define __pybpf_hops_8(rd, f1, f2, f3, f4, f5, f6, f7, f8) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4) \
	__pybpf_hop(rd, __pybpf_cur_4, __pybpf_cur_5, f5) \
	__pybpf_hop(rd, __pybpf_cur_5, __pybpf_cur_6, f6) \
	__pybpf_hop(rd, __pybpf_cur_6, __pybpf_cur_7, f7)
#define __pybpf_hops_9(rd, f1, f2, f3, f4, f5, f6, f7, f8, f9) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4) \
	__pybpf_hop(rd, __pybpf_cur_4, __pybpf_cur_5, f5) \
	__pybpf_hop(rd, __pybpf_cur_5, __pybpf_cur_6, f6) \
	__pybpf_hop(rd, __pybpf_cur_6, __pybpf_cur_7, f7) \
	__pybpf_hop(rd, __pybpf_cur_7, __pybpf_cur_8, f8)
#define __pybpf_hops_10(rd, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10) \
	__pybpf_hop(rd, __pybpf_cur_0, __pybpf_cur_1, f1) \
	__pybpf_hop(rd, __pybpf_cur_1, __pybpf_cur_2, f2) \
	__pybpf_hop(rd, __pybpf_cur_2, __pybpf_cur_3, f3) \
	__pybpf_hop(rd, __pybpf_cur_3, __pybpf_cur_4, f4) \
	__pybpf_hop(rd, __pybpf_cur_4, __pybpf_cur_5, f5) \
	__pybpf_hop(rd, __pybpf_cur_5, __pybpf_cur_6, f6) \
	__pybpf_hop(rd, __pybpf_cur_6, __pybpf_cur_7, f7) \
	__pybpf_hop(rd, __pybpf_cur_7, __pybpf_cur_8, f8) \
	__pybpf_hop(rd, __pybpf_cur_8, __pybpf_cur_9, f9)

#define __pybpf_tail_1(f1) (__pybpf_cur_0)->f1
#define __pybpf_tail_2(f1, f2) (__pybpf_cur_1)->f2
#define __pybpf_tail_3(f1, f2, f3) (__pybpf_cur_2)->f3
#define __pybpf_tail_4(f1, f2, f3, f4) (__pybpf_cur_3)->f4
#define __pybpf_tail_5(f1, f2, f3, f4, f5) (__pybpf_cur_4)->f5
#define __pybpf_tail_6(f1, f2, f3, f4, f5, f6) (__pybpf_cur_5)->f6
#define __pybpf_tail_7(f1, f2, f3, f4, f5, f6, f7) (__pybpf_cur_6)->f7
#define __pybpf_tail_8(f1, f2, f3, f4, f5, f6, f7, f8) (__pybpf_cur_7)->f8
#define __pybpf_tail_9(f1, f2, f3, f4, f5, f6, f7, f8, f9) (__pybpf_cur_8)->f9
#define __pybpf_tail_10(f1, f2, f3, f4, f5, f6, f7, f8, f9, f10) (__pybpf_cur_9)->f10

#define __pybpf_hops(rd, ...) __pybpf_join(__pybpf_hops_, __pybpf_argc(__VA_ARGS__))(rd, __VA_ARGS__)
#define __pybpf_tail(...) __pybpf_join(__pybpf_tail_, __pybpf_argc(__VA_ARGS__))(__VA_ARGS__)

/* Walk to the last member and read it into *dst with rd_last; yields that read's result. */
#define __pybpf_chase_into(rd, rd_last, dst, src, ...)                         \
	({                                                                     \
		__typeof__(src) __pybpf_cur_0 = (src);                         \
		__pybpf_hops(rd, __VA_ARGS__)                                  \
		rd_last((void *)(dst), sizeof(*(dst)), &__pybpf_tail(__VA_ARGS__)); \
	})

/* Walk to the last member and yield its value. */
#define __pybpf_chase(rd, src, ...)                                            \
	({                                                                     \
		__typeof__(src) __pybpf_cur_0 = (src);                         \
		__pybpf_hops(rd, __VA_ARGS__)                                  \
		__typeof__(__pybpf_tail(__VA_ARGS__)) __pybpf_val;             \
		rd((void *)&__pybpf_val, sizeof(__pybpf_val), &__pybpf_tail(__VA_ARGS__)); \
		__pybpf_val;                                                   \
	})

/* Read the end of a chain into *dst; returns the last read's result (0 or negative errno). */
#define BPF_CORE_READ_INTO(dst, src, ...) \
	__pybpf_chase_into(bpf_core_read, bpf_core_read, dst, src, __VA_ARGS__)
#define BPF_CORE_READ_USER_INTO(dst, src, ...) \
	__pybpf_chase_into(bpf_core_read_user, bpf_core_read_user, dst, src, __VA_ARGS__)
#define BPF_PROBE_READ_INTO(dst, src, ...) \
	__pybpf_chase_into(__pybpf_raw_read, __pybpf_raw_read, dst, src, __VA_ARGS__)
#define BPF_PROBE_READ_USER_INTO(dst, src, ...) \
	__pybpf_chase_into(__pybpf_raw_read_user, __pybpf_raw_read_user, dst, src, __VA_ARGS__)

/* The same with a string at the end of the chain: the last read stops at the NUL. */
#define BPF_CORE_READ_STR_INTO(dst, src, ...) \
	__pybpf_chase_into(bpf_core_read, bpf_core_read_str, dst, src, __VA_ARGS__)
#define BPF_CORE_READ_USER_STR_INTO(dst, src, ...) \
	__pybpf_chase_into(bpf_core_read_user, bpf_core_read_user_str, dst, src, __VA_ARGS__)
#define BPF_PROBE_READ_STR_INTO(dst, src, ...) \
	__pybpf_chase_into(__pybpf_raw_read, __pybpf_raw_read_str, dst, src, __VA_ARGS__)
#define BPF_PROBE_READ_USER_STR_INTO(dst, src, ...) \
	__pybpf_chase_into(__pybpf_raw_read_user, __pybpf_raw_read_user_str, dst, src, __VA_ARGS__)

/* Read the end of a chain and yield it as a value of the member's own type. */
#define BPF_CORE_READ(src, ...) __pybpf_chase(bpf_core_read, src, __VA_ARGS__)
#define BPF_CORE_READ_USER(src, ...) __pybpf_chase(bpf_core_read_user, src, __VA_ARGS__)
#define BPF_PROBE_READ(src, ...) __pybpf_chase(__pybpf_raw_read, src, __VA_ARGS__)
#define BPF_PROBE_READ_USER(src, ...) __pybpf_chase(__pybpf_raw_read_user, src, __VA_ARGS__)

#endif /* __PYBPF_BPF_CORE_READ_H */
