/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_tracing.h: function arguments out of struct pt_regs (PT_REGS_*), and the typed
 * program signatures (BPF_PROG, BPF_KPROBE, BPF_KSYSCALL, ...) that unpack a context into them.
 *
 * The registers that carry arguments belong to the traced architecture, not to the BPF target,
 * so the build says which one with -D__TARGET_ARCH_<arch> (pybpf build passes the host's).
 */
#ifndef __PYBPF_BPF_TRACING_H
#define __PYBPF_BPF_TRACING_H

#include "bpf_helpers.h"
#include "bpf_core_read.h"

/* Without an explicit target, assume the programs trace the machine the compiler targets. */
#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)
#if defined(__x86_64__)
#define __TARGET_ARCH_x86
#elif defined(__aarch64__)
#define __TARGET_ARCH_arm64
#endif
#endif

/* ---- Register map per architecture ------------------------------------------------------------
 * __pybpf_reg_<role> names the pt_regs member holding that role; __pybpf_regs_view casts a
 * context to the struct those members belong to.
 */
#if defined(__TARGET_ARCH_x86)

/*
 * x86-64 System V passes rdi, rsi, rdx, rcx, r8, r9, then the stack.  The syscall instruction
 * clobbers rcx, so a syscall's fourth argument travels in r10 instead.
 */
#define __pybpf_regs_view(x) ((const struct pt_regs *)(x))
#define __pybpf_regs_core_view(x) ((struct pt_regs *)(x))
#define __pybpf_reg_arg1 di
#define __pybpf_reg_arg2 si
#define __pybpf_reg_arg3 dx
#define __pybpf_reg_arg4 cx
#define __pybpf_reg_arg5 r8
#define __pybpf_reg_arg6 r9
#define __pybpf_reg_ret sp /* on entry the return address is the word at sp */
#define __pybpf_reg_fp bp
#define __pybpf_reg_rc ax
#define __pybpf_reg_sp sp
#define __pybpf_reg_ip ip
#define __pybpf_reg_sysarg1 di
#define __pybpf_reg_sysarg4 r10

/*
 * Arguments past the sixth are on the stack; at function entry word 0 is the return address, so
 * argument n is word n - 6.  sp is the stack pointer value, read plainly or with CO-RE.
 */
#define __pybpf_stack_word(sp, n)                                              \
	({                                                                     \
		unsigned long __pybpf_word = 0;                                \
		bpf_probe_read_kernel(&__pybpf_word, sizeof(__pybpf_word),     \
				      (const void *)((sp) + 8 * ((n) - 6)));   \
		__pybpf_word;                                                  \
	})
#define PT_REGS_PARM7(x) __pybpf_stack_word(PT_REGS_SP(x), 7)
#define PT_REGS_PARM8(x) __pybpf_stack_word(PT_REGS_SP(x), 8)
#define PT_REGS_PARM7_CORE(x) __pybpf_stack_word(PT_REGS_SP_CORE(x), 7)
#define PT_REGS_PARM8_CORE(x) __pybpf_stack_word(PT_REGS_SP_CORE(x), 8)

#elif defined(__TARGET_ARCH_arm64)

/*
 * AArch64 (AAPCS64) passes x0..x7; x29 is the frame pointer and x30 the link register.  The
 * kernel's struct pt_regs begins with struct user_pt_regs {regs[31], sp, pc, pstate}.  A
 * syscall's return value overwrites x0, so the first argument is kept in pt_regs.orig_x0.
 */
#define __pybpf_regs_view(x) ((const struct user_pt_regs *)(x))
#define __pybpf_regs_core_view(x) ((struct user_pt_regs *)(x))
#define __pybpf_reg_arg1 regs[0]
#define __pybpf_reg_arg2 regs[1]
#define __pybpf_reg_arg3 regs[2]
#define __pybpf_reg_arg4 regs[3]
#define __pybpf_reg_arg5 regs[4]
#define __pybpf_reg_arg6 regs[5]
#define __pybpf_reg_arg7 regs[6]
#define __pybpf_reg_arg8 regs[7]
#define __pybpf_reg_ret regs[30]
#define __pybpf_reg_fp regs[29]
#define __pybpf_reg_rc regs[0]
#define __pybpf_reg_sp sp
#define __pybpf_reg_ip pc
#define __pybpf_reg_sysarg4 regs[3]

#define PT_REGS_PARM7(x) __pybpf_reg(x, arg7)
#define PT_REGS_PARM8(x) __pybpf_reg(x, arg8)
#define PT_REGS_PARM7_CORE(x) __pybpf_reg_core(x, arg7)
#define PT_REGS_PARM8_CORE(x) __pybpf_reg_core(x, arg8)

/* orig_x0 is outside the user_pt_regs part, so it is reached through the full struct. */
#define PT_REGS_PARM1_SYSCALL(x) (((const struct pt_regs *)(x))->orig_x0)
#define PT_REGS_PARM1_CORE_SYSCALL(x) BPF_CORE_READ((struct pt_regs *)(x), orig_x0)

#endif

#if defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)

/* The member of role `role` in the context x: a plain load, or a CO-RE probe read. */
/* Pasted in place rather than through __pybpf_glue, which is unavailable inside its own expansion. */
#define __pybpf_reg(x, role) (__pybpf_regs_view(x)->__pybpf_reg_##role)
#define __pybpf_reg_core(x, role) BPF_CORE_READ(__pybpf_regs_core_view(x), __pybpf_reg_##role)

#define PT_REGS_PARM1(x) __pybpf_reg(x, arg1)
#define PT_REGS_PARM2(x) __pybpf_reg(x, arg2)
#define PT_REGS_PARM3(x) __pybpf_reg(x, arg3)
#define PT_REGS_PARM4(x) __pybpf_reg(x, arg4)
#define PT_REGS_PARM5(x) __pybpf_reg(x, arg5)
#define PT_REGS_PARM6(x) __pybpf_reg(x, arg6)
#define PT_REGS_RET(x) __pybpf_reg(x, ret)
#define PT_REGS_FP(x) __pybpf_reg(x, fp)
#define PT_REGS_RC(x) __pybpf_reg(x, rc)
#define PT_REGS_SP(x) __pybpf_reg(x, sp)
#define PT_REGS_IP(x) __pybpf_reg(x, ip)

#define PT_REGS_PARM1_CORE(x) __pybpf_reg_core(x, arg1)
#define PT_REGS_PARM2_CORE(x) __pybpf_reg_core(x, arg2)
#define PT_REGS_PARM3_CORE(x) __pybpf_reg_core(x, arg3)
#define PT_REGS_PARM4_CORE(x) __pybpf_reg_core(x, arg4)
#define PT_REGS_PARM5_CORE(x) __pybpf_reg_core(x, arg5)
#define PT_REGS_PARM6_CORE(x) __pybpf_reg_core(x, arg6)
#define PT_REGS_RET_CORE(x) __pybpf_reg_core(x, ret)
#define PT_REGS_FP_CORE(x) __pybpf_reg_core(x, fp)
#define PT_REGS_RC_CORE(x) __pybpf_reg_core(x, rc)
#define PT_REGS_SP_CORE(x) __pybpf_reg_core(x, sp)
#define PT_REGS_IP_CORE(x) __pybpf_reg_core(x, ip)

/* In a kprobe on a syscall wrapper, the wrapper's single argument: the user's pt_regs. */
#define PT_REGS_SYSCALL_REGS(ctx) ((struct pt_regs *)PT_REGS_PARM1(ctx))

/* Syscall arguments as the syscall entry saw them; x is the pt_regs the syscall was given. */
#ifndef PT_REGS_PARM1_SYSCALL
#define PT_REGS_PARM1_SYSCALL(x) __pybpf_reg(x, sysarg1)
#define PT_REGS_PARM1_CORE_SYSCALL(x) __pybpf_reg_core(x, sysarg1)
#endif
#define PT_REGS_PARM2_SYSCALL(x) PT_REGS_PARM2(x)
#define PT_REGS_PARM3_SYSCALL(x) PT_REGS_PARM3(x)
#define PT_REGS_PARM4_SYSCALL(x) __pybpf_reg(x, sysarg4)
#define PT_REGS_PARM5_SYSCALL(x) PT_REGS_PARM5(x)
#define PT_REGS_PARM6_SYSCALL(x) PT_REGS_PARM6(x)
#define PT_REGS_PARM2_CORE_SYSCALL(x) PT_REGS_PARM2_CORE(x)
#define PT_REGS_PARM3_CORE_SYSCALL(x) PT_REGS_PARM3_CORE(x)
#define PT_REGS_PARM4_CORE_SYSCALL(x) __pybpf_reg_core(x, sysarg4)
#define PT_REGS_PARM5_CORE_SYSCALL(x) PT_REGS_PARM5_CORE(x)
#define PT_REGS_PARM6_CORE_SYSCALL(x) PT_REGS_PARM6_CORE(x)

#else /* no target architecture known */

/* A register macro used without an architecture fails to compile with a message saying why. */
#define __pybpf_needs_arch()                                                   \
	({                                                                     \
		_Static_assert(0, "define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 to use PT_REGS_* macros"); \
		0UL;                                                           \
	})
#define PT_REGS_PARM1(x) __pybpf_needs_arch()
#define PT_REGS_PARM2(x) __pybpf_needs_arch()
#define PT_REGS_PARM3(x) __pybpf_needs_arch()
#define PT_REGS_PARM4(x) __pybpf_needs_arch()
#define PT_REGS_PARM5(x) __pybpf_needs_arch()
#define PT_REGS_PARM6(x) __pybpf_needs_arch()
#define PT_REGS_PARM7(x) __pybpf_needs_arch()
#define PT_REGS_PARM8(x) __pybpf_needs_arch()
#define PT_REGS_RET(x) __pybpf_needs_arch()
#define PT_REGS_FP(x) __pybpf_needs_arch()
#define PT_REGS_RC(x) __pybpf_needs_arch()
#define PT_REGS_SP(x) __pybpf_needs_arch()
#define PT_REGS_IP(x) __pybpf_needs_arch()
#define PT_REGS_PARM1_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM2_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM3_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM4_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM5_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM6_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM7_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM8_CORE(x) __pybpf_needs_arch()
#define PT_REGS_RET_CORE(x) __pybpf_needs_arch()
#define PT_REGS_FP_CORE(x) __pybpf_needs_arch()
#define PT_REGS_RC_CORE(x) __pybpf_needs_arch()
#define PT_REGS_SP_CORE(x) __pybpf_needs_arch()
#define PT_REGS_IP_CORE(x) __pybpf_needs_arch()
#define PT_REGS_PARM1_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM2_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM3_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM4_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM5_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM6_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM1_CORE_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM2_CORE_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM3_CORE_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM4_CORE_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM5_CORE_SYSCALL(x) __pybpf_needs_arch()
#define PT_REGS_PARM6_CORE_SYSCALL(x) __pybpf_needs_arch()

#endif

/* ---- Typed program signatures ------------------------------------------------------------------
 * `int BPF_KPROBE(name, struct file *f, long n) { body }` becomes three things: the program
 * name(ctx) itself, an always-inline name's body function taking (ctx, the user's parameters),
 * and name's definition, which calls the body with the parameters fetched from the context.
 * The return type is whatever the user wrote before the macro.  Integers come out of the context
 * as pointer-sized values cast through void *, hence the silenced conversion warnings.
 */
#define __pybpf_quiet_casts                                                    \
	_Pragma("GCC diagnostic push")                                         \
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                 \
	_Pragma("GCC diagnostic ignored \"-Wpointer-to-int-cast\"")
#define __pybpf_loud_casts _Pragma("GCC diagnostic pop")

/* fetch: the body's argument list, ctx first; setup: statements run before the call. */
#define __pybpf_typed_prog(name, ctx_param, setup, fetch, ...)                 \
	name(ctx_param);                                                       \
	static __always_inline typeof(name(0))                                 \
	__pybpf_body_##name(ctx_param __VA_OPT__(,) __VA_ARGS__);              \
	typeof(name(0)) name(ctx_param)                                        \
	{                                                                      \
		setup                                                          \
		__pybpf_quiet_casts                                            \
		return __pybpf_body_##name(fetch);                             \
		__pybpf_loud_casts                                             \
	}                                                                      \
	static __always_inline typeof(name(0))                                 \
	__pybpf_body_##name(ctx_param __VA_OPT__(,) __VA_ARGS__)

/* BPF_PROG (fentry/fexit, tp_btf, raw_tp, struct_ops, lsm): ctx is an array of u64 slots. */
#define __pybpf_from_slot(pos, param) , (void *)ctx[(pos) - 1]
#define BPF_PROG(name, ...)                                                    \
	__pybpf_typed_prog(name, unsigned long long *ctx, ,                    \
			   ctx __pybpf_each(__pybpf_from_slot, __VA_ARGS__), __VA_ARGS__)

/*
 * BPF_PROG2(name, type1, arg1, type2, arg2, ...): BPF_PROG with each type apart from its name,
 * so an argument wider than 8 bytes (a struct passed by value spans two slots) is unpacked from
 * the right slots.  __pybpf_pairs hands F each (type, name) with the slot where it starts.
 */
#define __pybpf_slots(t) (sizeof(t) > 8 ? 2 : 1)
#define __pybpf_pairs(F, ...)                                                  \
	__pybpf_join(__pybpf_pairs_, __pybpf_argc(__VA_ARGS__))(F __VA_OPT__(,) __VA_ARGS__)
#define __pybpf_pairs_0(F)
#define __pybpf_pairs_2(F, t1, a1) \
	F(t1, a1, 0)
#define __pybpf_pairs_4(F, t1, a1, t2, a2) \
	F(t1, a1, 0) \
	F(t2, a2, 0 + __pybpf_slots(t1))
#define __pybpf_pairs_6(F, t1, a1, t2, a2, t3, a3) \
	F(t1, a1, 0) \
	F(t2, a2, 0 + __pybpf_slots(t1)) \
	F(t3, a3, 0 + __pybpf_slots(t1) + __pybpf_slots(t2))
#define __pybpf_pairs_8(F, t1, a1, t2, a2, t3, a3, t4, a4) \
	F(t1, a1, 0) \
	F(t2, a2, 0 + __pybpf_slots(t1)) \
	F(t3, a3, 0 + __pybpf_slots(t1) + __pybpf_slots(t2)) \
	F(t4, a4, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3))
#define __pybpf_pairs_10(F, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5) \
	F(t1, a1, 0) \
	F(t2, a2, 0 + __pybpf_slots(t1)) \
	F(t3, a3, 0 + __pybpf_slots(t1) + __pybpf_slots(t2)) \
	F(t4, a4, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3)) \
	F(t5, a5, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3) + __pybpf_slots(t4))
#define __pybpf_pairs_12(F, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6) \
	F(t1, a1, 0) \
	F(t2, a2, 0 + __pybpf_slots(t1)) \
	F(t3, a3, 0 + __pybpf_slots(t1) + __pybpf_slots(t2)) \
	F(t4, a4, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3)) \
	F(t5, a5, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3) + __pybpf_slots(t4)) \
	F(t6, a6, 0 + __pybpf_slots(t1) + __pybpf_slots(t2) + __pybpf_slots(t3) + __pybpf_slots(t4) + __pybpf_slots(t5))

/* The value of type t stored in ctx from slot `first` on (one or two slots). */
#define __pybpf_slot_value(t, first)                                           \
	({                                                                     \
		union {                                                        \
			unsigned long long words[2];                           \
			t value;                                               \
		} __pybpf_cell = {};                                           \
		__pybpf_cell.words[0] = ctx[(first)];                          \
		if (__pybpf_slots(t) == 2)                                     \
			__pybpf_cell.words[1] = ctx[(first) + 1];              \
		__pybpf_cell.value;                                            \
	})
#define __pybpf_p2_param(t, a, first) , t a
#define __pybpf_p2_fetch(t, a, first) , __pybpf_slot_value(t, first)

#define BPF_PROG2(name, ...)                                                   \
	name(unsigned long long *ctx);                                         \
	static __always_inline typeof(name(0))                                 \
	__pybpf_body_##name(unsigned long long *ctx __pybpf_pairs(__pybpf_p2_param, __VA_ARGS__)); \
	typeof(name(0)) name(unsigned long long *ctx)                          \
	{                                                                      \
		return __pybpf_body_##name(ctx __pybpf_pairs(__pybpf_p2_fetch, __VA_ARGS__)); \
	}                                                                      \
	static __always_inline typeof(name(0))                                 \
	__pybpf_body_##name(unsigned long long *ctx __pybpf_pairs(__pybpf_p2_param, __VA_ARGS__))

/* BPF_KPROBE / BPF_UPROBE: ctx is the probed task's struct pt_regs, parameter i its PARMi. */
#define __pybpf_from_reg(pos, param) , (void *)PT_REGS_PARM##pos(ctx)
#define BPF_KPROBE(name, ...)                                                  \
	__pybpf_typed_prog(name, struct pt_regs *ctx, ,                        \
			   ctx __pybpf_each(__pybpf_from_reg, __VA_ARGS__), __VA_ARGS__)

/* BPF_KRETPROBE / BPF_URETPROBE: at most one parameter, the return value (a second one has no
 * __pybpf_from_rc_2 and fails to compile). */
#define __pybpf_from_rc(pos, param) __pybpf_from_rc_##pos
#define __pybpf_from_rc_1 , (void *)PT_REGS_RC(ctx)
#define BPF_KRETPROBE(name, ...)                                               \
	__pybpf_typed_prog(name, struct pt_regs *ctx, ,                        \
			   ctx __pybpf_each(__pybpf_from_rc, __VA_ARGS__), __VA_ARGS__)

#define BPF_UPROBE(name, ...) BPF_KPROBE(name __VA_OPT__(,) __VA_ARGS__)
#define BPF_URETPROBE(name, ...) BPF_KRETPROBE(name __VA_OPT__(,) __VA_ARGS__)

/*
 * BPF_KSYSCALL: a kprobe on a syscall's entry (SEC("ksyscall/write")).  On x86-64 and arm64 the
 * probed function is a wrapper taking the user's pt_regs as its one argument, so parameters are
 * read from that inner pt_regs, with CO-RE since it is kernel memory.  For kernels built without
 * syscall wrappers define BPF_KSYSCALL_NO_WRAPPER: the arguments are then in ctx itself.
 */
#ifdef BPF_KSYSCALL_NO_WRAPPER
#define __pybpf_syscall_regs(ctx) (ctx)
#define __pybpf_syscall_arg(pos, regs) PT_REGS_PARM##pos##_SYSCALL(regs)
#else
#define __pybpf_syscall_regs(ctx) ((struct pt_regs *)PT_REGS_PARM1(ctx))
#define __pybpf_syscall_arg(pos, regs) PT_REGS_PARM##pos##_CORE_SYSCALL(regs)
#endif
#define __pybpf_from_sysreg(pos, param) , (void *)__pybpf_syscall_arg(pos, __pybpf_user_regs)
#define BPF_KSYSCALL(name, ...)                                                \
	__pybpf_typed_prog(name, struct pt_regs *ctx,                          \
			   struct pt_regs *__pybpf_user_regs = __pybpf_syscall_regs(ctx); \
			   (void)__pybpf_user_regs;,                           \
			   ctx __pybpf_each(__pybpf_from_sysreg, __VA_ARGS__), __VA_ARGS__)

#define BPF_KPROBE_SYSCALL BPF_KSYSCALL

/* ---- Formatted output into a seq_file (iterators) or a string ----------------------------------
 * Same packing as bpf_printk's long form: a u64 array of the arguments, the format in .rodata.
 */
#define BPF_SEQ_PRINTF(seq, fmt, ...)                                          \
	({                                                                     \
		static const char __pybpf_fmt[] = fmt;                         \
		__pybpf_u64_array(__pybpf_data, __VA_ARGS__);                  \
		bpf_seq_printf(seq, __pybpf_fmt, sizeof(__pybpf_fmt), __pybpf_data, sizeof(__pybpf_data)); \
	})

#define BPF_SNPRINTF(out, out_size, fmt, ...)                                  \
	({                                                                     \
		static const char __pybpf_fmt[] = fmt;                         \
		__pybpf_u64_array(__pybpf_data, __VA_ARGS__);                  \
		bpf_snprintf(out, out_size, __pybpf_fmt, __pybpf_data, sizeof(__pybpf_data)); \
	})

#endif /* __PYBPF_BPF_TRACING_H */
