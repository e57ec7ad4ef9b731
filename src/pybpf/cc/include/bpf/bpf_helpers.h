/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_helpers.h: the section, map-definition and helper names BPF C programs are written
 * against.  Written for pybpf; include vmlinux.h (or linux/types.h) first for the __u32 family.
 */
#ifndef __PYBPF_BPF_HELPERS_H
#define __PYBPF_BPF_HELPERS_H

#include "bpf_helper_defs.h"

/* ---- Preprocessor plumbing shared by the other headers ------------------------------------- */

#define ___bpf_concat(a, b) a ## b
#define ___bpf_apply(fn, n) ___bpf_concat(fn, n)
#define ___bpf_first(x, ...) x
/* Number of arguments (0..12); the leading underscore keeps an empty list countable. */
#define ___bpf_nth(_, _1, _2, _3, _4, _5, _6, _7, _8, _9, _a, _b, _c, N, ...) N
#define ___bpf_narg(...) ___bpf_nth(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)

#ifndef __stringify
#define ___pybpf_str(x) #x
#define __stringify(x) ___pybpf_str(x)
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
#define __ulong(name, val) enum { ___bpf_apply(__pybpf_ulong_, __COUNTER__) = (val) } name

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
#ifndef container_of
#define container_of(ptr, type, member)                                        \
	({                                                                     \
		void *__pybpf_mptr = (void *)(ptr);                            \
		((type *)(__pybpf_mptr - offsetof(type, member)));             \
	})
#endif

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* True when a weak __ksym was found by the loader (its address is then non-zero). */
#define bpf_ksym_exists(sym) (!!(&(sym)))

/*
 * A tail call whose slot is a compile-time constant.  Written as inline assembly so the index
 * reaches the verifier as an immediate, letting the JIT patch a direct jump.
 */
static __always_inline void bpf_tail_call_static(void *ctx, const void *map, const __u32 slot)
{
	asm volatile("r1 = %[ctx]\n\t"
		     "r2 = %[map]\n\t"
		     "r3 = %[slot]\n\t"
		     "call 12"
		     :
		     : [ctx] "r"(ctx), [map] "r"(map), [slot] "i"(slot)
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

/* The for-init declares the iterator and a dummy pointer whose initialiser starts the iterator. */
#define ___bpf_iter_loop(type, start_call, next_cond)                          \
	for (struct bpf_iter_##type ___pybpf_it                                \
		     __attribute__((aligned(8), cleanup(bpf_iter_##type##_destroy))), \
	     *___pybpf_started __attribute__((unused)) =                       \
		     (start_call, (void)bpf_iter_##type##_destroy, (void *)0); \
	     next_cond;)

/* for (cur = each element of a bpf_iter_<type> created with args) */
#define bpf_for_each(type, cur, args...)                                       \
	___bpf_iter_loop(type, bpf_iter_##type##_new(&___pybpf_it, ##args),     \
			 ((cur) = bpf_iter_##type##_next(&___pybpf_it)))

/* for (i = start; i < end; i++), in a form the verifier checks once instead of unrolling. */
#define bpf_for(i, start, end)                                                 \
	___bpf_iter_loop(num, bpf_iter_num_new(&___pybpf_it, (start), (end)),    \
			 ({                                                     \
				 int *___pybpf_cur = bpf_iter_num_next(&___pybpf_it); \
				 ___pybpf_cur && ((i) = *___pybpf_cur, 1);      \
			 }))

/* Run the loop body n times. */
#define bpf_repeat(n)                                                          \
	___bpf_iter_loop(num, bpf_iter_num_new(&___pybpf_it, 0, (n)),            \
			 bpf_iter_num_next(&___pybpf_it))

/* ---- bpf_printk ------------------------------------------------------------------------------
 * Up to three arguments go straight to bpf_trace_printk (available everywhere); more are packed
 * into a u64 array for bpf_trace_vprintk (5.16+).  The format lives in .rodata as a static const
 * so it is not rebuilt on the stack at every call.
 */
#define ___bpf_fill0(arr, p, x)
#define ___bpf_fill1(arr, p, x) arr[p] = (unsigned long long)(x)
#define ___bpf_fill2(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill1(arr, p + 1, args)
#define ___bpf_fill3(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill2(arr, p + 1, args)
#define ___bpf_fill4(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill3(arr, p + 1, args)
#define ___bpf_fill5(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill4(arr, p + 1, args)
#define ___bpf_fill6(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill5(arr, p + 1, args)
#define ___bpf_fill7(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill6(arr, p + 1, args)
#define ___bpf_fill8(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill7(arr, p + 1, args)
#define ___bpf_fill9(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill8(arr, p + 1, args)
#define ___bpf_fill10(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill9(arr, p + 1, args)
#define ___bpf_fill11(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill10(arr, p + 1, args)
#define ___bpf_fill12(arr, p, x, args...) arr[p] = (unsigned long long)(x); ___bpf_fill11(arr, p + 1, args)
/* Store each argument, widened to u64, into consecutive elements of arr. */
#define ___bpf_fill(arr, args...) ___bpf_apply(___bpf_fill, ___bpf_narg(args))(arr, 0, args)

#define __bpf_printk(fmt, ...)                                                 \
	({                                                                     \
		static const char ___pybpf_fmt[] = fmt;                        \
		bpf_trace_printk(___pybpf_fmt, sizeof(___pybpf_fmt), ##__VA_ARGS__); \
	})

#define __bpf_vprintk(fmt, args...)                                            \
	({                                                                     \
		static const char ___pybpf_fmt[] = fmt;                        \
		unsigned long long ___pybpf_args[___bpf_narg(args)];           \
		___bpf_fill(___pybpf_args, args);                              \
		bpf_trace_vprintk(___pybpf_fmt, sizeof(___pybpf_fmt), ___pybpf_args, \
				  sizeof(___pybpf_args));                      \
	})

#define ___bpf_pick_printk(...)                                                \
	___bpf_nth(_, ##__VA_ARGS__, __bpf_vprintk, __bpf_vprintk, __bpf_vprintk, \
		   __bpf_vprintk, __bpf_vprintk, __bpf_vprintk, __bpf_vprintk,  \
		   __bpf_vprintk, __bpf_vprintk, __bpf_printk, __bpf_printk,     \
		   __bpf_printk, __bpf_printk)

#define bpf_printk(fmt, args...) ___bpf_pick_printk(args)(fmt, ##args)

#endif /* __PYBPF_BPF_HELPERS_H */
