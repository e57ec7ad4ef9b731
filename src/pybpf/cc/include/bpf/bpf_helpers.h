/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_helpers.h: the section, map-definition and helper names BPF C programs are written
 * against.  Written for pybpf; include vmlinux.h (or linux/types.h) first for the __u32 family.
 */
#ifndef __PYBPF_BPF_HELPERS_H
#define __PYBPF_BPF_HELPERS_H

#include "bpf_helper_defs.h"

/* ---- Macro toolkit ---------------------------------------------------------------------------
 * Internal to pybpf's headers (everything spelled __pybpf_*); programs use the names further down.
 * Variadic macros here take up to 12 arguments, the most any BPF context hands a program.
 */

/* Paste two tokens; __pybpf_join expands its operands first (e.g. a count macro into a number). */
#define __pybpf_glue(a, b) a##b
#define __pybpf_join(a, b) __pybpf_glue(a, b)

/*
 * __pybpf_argc(...) is the number of arguments, 0..12.  The list is shifted right by its own
 * length in front of a descending ruler, so the ruler mark landing in slot 13 is the count;
 * __VA_OPT__ adds the separating comma only for a non-empty list, which keeps "no arguments"
 * distinct from "one empty argument".
 */
#define __pybpf_argc(...)                                                      \
	__pybpf_argc_mark(__VA_ARGS__ __VA_OPT__(,) 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __pybpf_argc_mark(s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, mark, ...) mark

/*
 * __pybpf_each(F, a, b, c) is F(1, a) F(2, b) F(3, c): F sees each argument with its 1-based
 * position as a plain number token, so it can paste it (PT_REGS_PARM##i) or compute with it.
 * Each width is spelled out flat; F supplies any separators itself.  A macro is not expanded
 * again inside its own expansion, so F must not use __pybpf_each, and macros reached from F
 * paste with ## directly rather than through __pybpf_glue.
 */
#define __pybpf_each(F, ...)                                                   \
	__pybpf_join(__pybpf_each_, __pybpf_argc(__VA_ARGS__))(F __VA_OPT__(,) __VA_ARGS__)
#define __pybpf_each_0(F)
#define __pybpf_each_1(F, a1) F(1, a1)
#define __pybpf_each_2(F, a1, a2) F(1, a1) F(2, a2)
#define __pybpf_each_3(F, a1, a2, a3) F(1, a1) F(2, a2) F(3, a3)
#define __pybpf_each_4(F, a1, a2, a3, a4) F(1, a1) F(2, a2) F(3, a3) F(4, a4)
#define __pybpf_each_5(F, a1, a2, a3, a4, a5) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5)
#define __pybpf_each_6(F, a1, a2, a3, a4, a5, a6) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6)
#define __pybpf_each_7(F, a1, a2, a3, a4, a5, a6, a7) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7)
#define __pybpf_each_8(F, a1, a2, a3, a4, a5, a6, a7, a8) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7) F(8, a8)
#define __pybpf_each_9(F, a1, a2, a3, a4, a5, a6, a7, a8, a9) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7) F(8, a8) F(9, a9)
#define __pybpf_each_10(F, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7) F(8, a8) F(9, a9) F(10, a10)
#define __pybpf_each_11(F, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7) F(8, a8) F(9, a9) F(10, a10) F(11, a11)
#define __pybpf_each_12(F, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) F(1, a1) F(2, a2) F(3, a3) F(4, a4) F(5, a5) F(6, a6) F(7, a7) F(8, a8) F(9, a9) F(10, a10) F(11, a11) F(12, a12)

#ifndef __stringify
#define __pybpf_quote(x) #x
#define __stringify(x) __pybpf_quote(x)
#endif

/* ---- Placement ----------------------------------------------------------------------------- */

/* The ELF section names the program type and attach point; "used" keeps unreferenced ones. */
#define SEC(name) __attribute__((section(name), used))

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
/* Global functions marked hidden are verified with their caller, like static ones. */
#ifndef __hidden
#define __hidden __attribute__((visibility("hidden")))
#endif

/* Externs resolved by the loader: kernel symbols (kallsyms / BTF) and CONFIG_* values. */
/* Guarded: a generated vmlinux.h may already define some of these the same way. */
#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif
#ifndef __kconfig
#define __kconfig __attribute__((section(".kconfig")))
#endif
#ifndef __kptr_untrusted
#define __kptr_untrusted __attribute__((btf_type_tag("kptr_untrusted")))
#endif
#ifndef __kptr
#define __kptr __attribute__((btf_type_tag("kptr")))
#endif
#ifndef __percpu_kptr
#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))
#endif
/* Tags on global-function arguments, telling the verifier what the caller guarantees. */
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_nullable __attribute__((btf_decl_tag("arg:nullable")))
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))

/* ---- BTF-defined maps -----------------------------------------------------------------------
 * A map definition is a struct in SEC(".maps") whose members encode attributes in their *types*:
 * an integer as the length of a pointed-to array, a type as the pointee.  Nothing is stored.
 */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
/* 64-bit attributes (e.g. map_extra) do not fit an array length; an enumerator carries them. */
#define __ulong(name, val) enum { __pybpf_join(__pybpf_ulong_, __COUNTER__) = (val) } name

enum libbpf_pin_type {
	LIBBPF_PIN_NONE,
	/* pinned at <pin root>/<map name>, reused when it already exists */
	LIBBPF_PIN_BY_NAME,
};

enum libbpf_tristate {
	TRI_NO = 0,
	TRI_YES = 1,
	TRI_MODULE = 2,
};

/* ---- Small language helpers ---------------------------------------------------------------- */

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif
/* Make the compiler forget what it knows about var (e.g. a bound the verifier must see checked). */
#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
/* The struct that has *ptr as its `member`: step back from the member to the struct's start. */
#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* True when a weak __ksym was found by the loader (its address is then non-zero). */
#define bpf_ksym_exists(sym) (!!(&(sym)))

/*
 * bpf_tail_call with a slot index known at compile time.  Issued from inline assembly so the
 * index reaches the verifier as an immediate in r3, which lets the JIT turn the tail call into a
 * direct jump.  The clobber list is the BPF calling convention (r0-r5 are caller-saved), which
 * also keeps the inputs out of the registers the assembly overwrites.
 */
static __always_inline void bpf_tail_call_static(void *ctx, const void *map, const __u32 slot)
{
	asm volatile("r1 = %0\n\t"
		     "r2 = %1\n\t"
		     "r3 = %2\n\t"
		     "call 12" /* BPF_FUNC_tail_call */
		     : /* no outputs */
		     : "r"(ctx), "r"(map), "i"(slot)
		     : "r0", "r1", "r2", "r3", "r4", "r5");
}

/* ---- Open-coded iterators (kernel 6.4+) -----------------------------------------------------
 * A loop over a kernel iterator object living on the stack: _new before the first pass, _next
 * for each element (NULL ends the loop), and _destroy on every way out of the loop, which the
 * cleanup attribute guarantees even for break and return.  The iterator functions are kfuncs.
 */
struct bpf_iter_num;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

/*
 * One for-statement both declares the iterator (with its destructor attached) and starts it: a
 * second declarator, never used, is initialised by a comma expression that calls _new on the
 * iterator declared just before it.  Naming _destroy in that expression as well makes clang
 * emit the kfunc's BTF even though it is otherwise only reached through the cleanup attribute.
 */
#define __pybpf_iter_var(type)                                                 \
	struct bpf_iter_##type __pybpf_iter                                    \
		__attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy)))
#define __pybpf_iter_kick(type, start) \
	*__pybpf_iter_kicked __attribute__((unused)) = ((start), (void)bpf_iter_##type##_destroy, (void *)0)
#define __pybpf_iter_for(type, start, more) \
	for (__pybpf_iter_var(type), __pybpf_iter_kick(type, start); (more);)

/* for (cur = each element of a bpf_iter_<type> created with args) */
#define bpf_for_each(type, cur, ...)                                           \
	__pybpf_iter_for(type, bpf_iter_##type##_new(&__pybpf_iter __VA_OPT__(,) __VA_ARGS__), \
			 (cur) = bpf_iter_##type##_next(&__pybpf_iter))

/* for (i = start; i < end; i++), in a form the verifier checks once instead of unrolling. */
#define bpf_for(i, start, end)                                                 \
	__pybpf_iter_for(num, bpf_iter_num_new(&__pybpf_iter, (start), (end)),   \
			 __pybpf_iter_num_step(&__pybpf_iter, &(i)))

/* Advance a numeric iterator and store the new value; false once the range is used up. */
#define __pybpf_iter_num_step(it, dst)                                         \
	({                                                                     \
		int *__pybpf_now = bpf_iter_num_next(it);                      \
		__pybpf_now ? (*(dst) = *__pybpf_now, 1) : 0;                  \
	})

/* Run the loop body n times. */
#define bpf_repeat(n)                                                          \
	__pybpf_iter_for(num, bpf_iter_num_new(&__pybpf_iter, 0, (n)), bpf_iter_num_next(&__pybpf_iter))

/* ---- bpf_printk ------------------------------------------------------------------------------
 * Up to three arguments travel in registers through bpf_trace_printk, which every kernel has;
 * longer lists go through bpf_trace_vprintk (5.16+) as an array of u64.  The format string is a
 * static const, so it sits in .rodata once instead of being rebuilt on the stack per call.
 */

/* An array holding every argument widened to u64, in order, for the *vprintk-style helpers. */
#define __pybpf_u64_item(pos, x) (unsigned long long)(x),
#define __pybpf_u64_array(var, ...) \
	unsigned long long var[__pybpf_argc(__VA_ARGS__)] = { __pybpf_each(__pybpf_u64_item, __VA_ARGS__) }

#define __pybpf_printk_regs(fmt, ...)                                          \
	({                                                                     \
		static const char __pybpf_fmt[] = fmt;                         \
		bpf_trace_printk(__pybpf_fmt, sizeof(__pybpf_fmt) __VA_OPT__(,) __VA_ARGS__); \
	})

#define __pybpf_printk_array(fmt, ...)                                         \
	({                                                                     \
		static const char __pybpf_fmt[] = fmt;                         \
		__pybpf_u64_array(__pybpf_data, __VA_ARGS__);                  \
		bpf_trace_vprintk(__pybpf_fmt, sizeof(__pybpf_fmt), __pybpf_data, sizeof(__pybpf_data)); \
	})

/* Implementation per argument count, looked up by pasting the count onto a table name. */
#define __pybpf_printk_for_0 __pybpf_printk_regs
#define __pybpf_printk_for_1 __pybpf_printk_regs
#define __pybpf_printk_for_2 __pybpf_printk_regs
#define __pybpf_printk_for_3 __pybpf_printk_regs
#define __pybpf_printk_for_4 __pybpf_printk_array
#define __pybpf_printk_for_5 __pybpf_printk_array
#define __pybpf_printk_for_6 __pybpf_printk_array
#define __pybpf_printk_for_7 __pybpf_printk_array
#define __pybpf_printk_for_8 __pybpf_printk_array
#define __pybpf_printk_for_9 __pybpf_printk_array
#define __pybpf_printk_for_10 __pybpf_printk_array
#define __pybpf_printk_for_11 __pybpf_printk_array
#define __pybpf_printk_for_12 __pybpf_printk_array

#define bpf_printk(fmt, ...) \
	__pybpf_join(__pybpf_printk_for_, __pybpf_argc(__VA_ARGS__))(fmt __VA_OPT__(,) __VA_ARGS__)

#endif /* __PYBPF_BPF_HELPERS_H */
