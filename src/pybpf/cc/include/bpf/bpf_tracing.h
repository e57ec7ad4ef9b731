/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_tracing.h: reading function arguments out of struct pt_regs, and the BPF_PROG /
 * BPF_KPROBE family that turns a context pointer into a typed argument list.
 *
 * Which registers hold arguments depends on the architecture being traced, not on the BPF
 * target, so the build passes -D__TARGET_ARCH_<arch> (pybpf build does it from the host).
 */
#ifndef __PYBPF_BPF_TRACING_H
#define __PYBPF_BPF_TRACING_H

#include "bpf_helpers.h"
#include "bpf_core_read.h"

/* Fall back to the compiler's own idea of the host when no target architecture was given. */
#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)
#if defined(__x86_64__)
#define __TARGET_ARCH_x86
#elif defined(__aarch64__)
#define __TARGET_ARCH_arm64
#endif
#endif

#if defined(__TARGET_ARCH_x86)

/*
 * x86-64 System V: rdi, rsi, rdx, rcx, r8, r9, then the stack.  Syscalls pass the fourth
 * argument in r10 because the syscall instruction clobbers rcx.
 */
#define ___pybpf_regs(x) ((const struct pt_regs *)(x))
#define ___pybpf_regs_core(x) ((struct pt_regs *)(x))
#define __PYBPF_REG_PARM1 di
#define __PYBPF_REG_PARM2 si
#define __PYBPF_REG_PARM3 dx
#define __PYBPF_REG_PARM4 cx
#define __PYBPF_REG_PARM5 r8
#define __PYBPF_REG_PARM6 r9
#define __PYBPF_REG_RET sp /* return address is at *sp on entry */
#define __PYBPF_REG_FP bp
#define __PYBPF_REG_RC ax
#define __PYBPF_REG_SP sp
#define __PYBPF_REG_IP ip
#define __PYBPF_REG_SYSCALL_PARM1 di
#define __PYBPF_REG_SYSCALL_PARM4 r10

/* Arguments 7 and 8 sit on the stack above the return address at function entry. */
#define ___pybpf_stack_arg(x, n)                                               \
	({                                                                     \
		unsigned long ___pybpf_arg = 0;                                \
		bpf_probe_read_kernel(&___pybpf_arg, sizeof(___pybpf_arg),    \
				      (const void *)(PT_REGS_SP(x) + 8 * ((n) - 6))); \
		___pybpf_arg;                                                  \
	})
#define ___pybpf_stack_arg_core(x, n)                                          \
	({                                                                     \
		unsigned long ___pybpf_arg = 0;                                \
		bpf_probe_read_kernel(&___pybpf_arg, sizeof(___pybpf_arg),    \
				      (const void *)(PT_REGS_SP_CORE(x) + 8 * ((n) - 6))); \
		___pybpf_arg;                                                  \
	})
#define PT_REGS_PARM7(x) ___pybpf_stack_arg(x, 7)
#define PT_REGS_PARM8(x) ___pybpf_stack_arg(x, 8)
#define PT_REGS_PARM7_CORE(x) ___pybpf_stack_arg_core(x, 7)
#define PT_REGS_PARM8_CORE(x) ___pybpf_stack_arg_core(x, 8)

#elif defined(__TARGET_ARCH_arm64)

/*
 * AArch64 AAPCS64: x0..x7 carry arguments, x30 is the link register, x29 the frame pointer.
 * The kernel's struct pt_regs starts with struct user_pt_regs (regs[31], sp, pc, pstate); the
 * first syscall argument is preserved in orig_x0 because x0 is overwritten by the return value.
 */
#define ___pybpf_regs(x) ((const struct user_pt_regs *)(x))
#define ___pybpf_regs_core(x) ((struct user_pt_regs *)(x))
#define __PYBPF_REG_PARM1 regs[0]
#define __PYBPF_REG_PARM2 regs[1]
#define __PYBPF_REG_PARM3 regs[2]
#define __PYBPF_REG_PARM4 regs[3]
#define __PYBPF_REG_PARM5 regs[4]
#define __PYBPF_REG_PARM6 regs[5]
#define __PYBPF_REG_PARM7 regs[6]
#define __PYBPF_REG_PARM8 regs[7]
#define __PYBPF_REG_RET regs[30]
#define __PYBPF_REG_FP regs[29]
#define __PYBPF_REG_RC regs[0]
#define __PYBPF_REG_SP sp
#define __PYBPF_REG_IP pc
#define __PYBPF_REG_SYSCALL_PARM4 regs[3]

#define PT_REGS_PARM7(x) (___pybpf_regs(x)->__PYBPF_REG_PARM7)
#define PT_REGS_PARM8(x) (___pybpf_regs(x)->__PYBPF_REG_PARM8)
#define PT_REGS_PARM7_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM7)
#define PT_REGS_PARM8_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM8)

/* orig_x0 lives in struct pt_regs proper, after the user_pt_regs part. */
#define PT_REGS_PARM1_SYSCALL(x) (((const struct pt_regs *)(x))->orig_x0)
#define PT_REGS_PARM1_CORE_SYSCALL(x) BPF_CORE_READ((struct pt_regs *)(x), orig_x0)

#endif

#if defined(__TARGET_ARCH_x86) || defined(__TARGET_ARCH_arm64)

#define PT_REGS_PARM1(x) (___pybpf_regs(x)->__PYBPF_REG_PARM1)
#define PT_REGS_PARM2(x) (___pybpf_regs(x)->__PYBPF_REG_PARM2)
#define PT_REGS_PARM3(x) (___pybpf_regs(x)->__PYBPF_REG_PARM3)
#define PT_REGS_PARM4(x) (___pybpf_regs(x)->__PYBPF_REG_PARM4)
#define PT_REGS_PARM5(x) (___pybpf_regs(x)->__PYBPF_REG_PARM5)
#define PT_REGS_PARM6(x) (___pybpf_regs(x)->__PYBPF_REG_PARM6)
#define PT_REGS_RET(x) (___pybpf_regs(x)->__PYBPF_REG_RET)
#define PT_REGS_FP(x) (___pybpf_regs(x)->__PYBPF_REG_FP)
#define PT_REGS_RC(x) (___pybpf_regs(x)->__PYBPF_REG_RC)
#define PT_REGS_SP(x) (___pybpf_regs(x)->__PYBPF_REG_SP)
#define PT_REGS_IP(x) (___pybpf_regs(x)->__PYBPF_REG_IP)

#define PT_REGS_PARM1_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM1)
#define PT_REGS_PARM2_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM2)
#define PT_REGS_PARM3_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM3)
#define PT_REGS_PARM4_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM4)
#define PT_REGS_PARM5_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM5)
#define PT_REGS_PARM6_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_PARM6)
#define PT_REGS_RET_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_RET)
#define PT_REGS_FP_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_FP)
#define PT_REGS_RC_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_RC)
#define PT_REGS_SP_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_SP)
#define PT_REGS_IP_CORE(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_IP)

/* Inside a kprobe on a syscall wrapper: the user's pt_regs, the wrapper's only argument. */
#define PT_REGS_SYSCALL_REGS(ctx) ((struct pt_regs *)PT_REGS_PARM1(ctx))

/* Syscall arguments as the syscall entry saw them (x: the pt_regs the syscall was given). */
#ifndef PT_REGS_PARM1_SYSCALL
#define PT_REGS_PARM1_SYSCALL(x) PT_REGS_PARM1(x)
#define PT_REGS_PARM1_CORE_SYSCALL(x) PT_REGS_PARM1_CORE(x)
#endif
#define PT_REGS_PARM2_SYSCALL(x) PT_REGS_PARM2(x)
#define PT_REGS_PARM3_SYSCALL(x) PT_REGS_PARM3(x)
#define PT_REGS_PARM4_SYSCALL(x) (___pybpf_regs(x)->__PYBPF_REG_SYSCALL_PARM4)
#define PT_REGS_PARM5_SYSCALL(x) PT_REGS_PARM5(x)
#define PT_REGS_PARM6_SYSCALL(x) PT_REGS_PARM6(x)
#define PT_REGS_PARM2_CORE_SYSCALL(x) PT_REGS_PARM2_CORE(x)
#define PT_REGS_PARM3_CORE_SYSCALL(x) PT_REGS_PARM3_CORE(x)
#define PT_REGS_PARM4_CORE_SYSCALL(x) BPF_CORE_READ(___pybpf_regs_core(x), __PYBPF_REG_SYSCALL_PARM4)
#define PT_REGS_PARM5_CORE_SYSCALL(x) PT_REGS_PARM5_CORE(x)
#define PT_REGS_PARM6_CORE_SYSCALL(x) PT_REGS_PARM6_CORE(x)

#else /* no target architecture known */

/* Using a register macro without an architecture is a compile error that says what to do. */
#define ___pybpf_no_arch()                                                     \
	({                                                                     \
		_Static_assert(0, "define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 to use PT_REGS_* macros"); \
		0UL;                                                           \
	})
#define PT_REGS_PARM1(x) ___pybpf_no_arch()
#define PT_REGS_PARM2(x) ___pybpf_no_arch()
#define PT_REGS_PARM3(x) ___pybpf_no_arch()
#define PT_REGS_PARM4(x) ___pybpf_no_arch()
#define PT_REGS_PARM5(x) ___pybpf_no_arch()
#define PT_REGS_PARM6(x) ___pybpf_no_arch()
#define PT_REGS_PARM7(x) ___pybpf_no_arch()
#define PT_REGS_PARM8(x) ___pybpf_no_arch()
#define PT_REGS_RET(x) ___pybpf_no_arch()
#define PT_REGS_FP(x) ___pybpf_no_arch()
#define PT_REGS_RC(x) ___pybpf_no_arch()
#define PT_REGS_SP(x) ___pybpf_no_arch()
#define PT_REGS_IP(x) ___pybpf_no_arch()
#define PT_REGS_PARM1_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM2_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM3_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM4_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM5_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM6_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM7_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM8_CORE(x) ___pybpf_no_arch()
#define PT_REGS_RET_CORE(x) ___pybpf_no_arch()
#define PT_REGS_FP_CORE(x) ___pybpf_no_arch()
#define PT_REGS_RC_CORE(x) ___pybpf_no_arch()
#define PT_REGS_SP_CORE(x) ___pybpf_no_arch()
#define PT_REGS_IP_CORE(x) ___pybpf_no_arch()
#define PT_REGS_PARM1_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM2_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM3_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM4_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM5_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM6_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM1_CORE_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM2_CORE_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM3_CORE_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM4_CORE_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM5_CORE_SYSCALL(x) ___pybpf_no_arch()
#define PT_REGS_PARM6_CORE_SYSCALL(x) ___pybpf_no_arch()

#endif

/* ---- Typed program signatures ---------------------------------------------------------------
 * Each macro declares `name(ctx)` (the real program, taking the return type written before the
 * macro), an always-inline `____name(ctx, args...)` holding the user's body, and a definition
 * of `name` that unpacks the context into the arguments.  Integer arguments arrive through a
 * void * cast, hence the silenced int-conversion diagnostic.
 */
#define ___pybpf_silence_begin                                                 \
	_Pragma("GCC diagnostic push")                                         \
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                 \
	_Pragma("GCC diagnostic ignored \"-Wpointer-to-int-cast\"")
#define ___pybpf_silence_end _Pragma("GCC diagnostic pop")

#define ___pybpf_typed_prog(name, ctx_decl, unpack, args...)                   \
	name(ctx_decl);                                                        \
	static __always_inline typeof(name(0)) ____##name(ctx_decl, ##args);   \
	typeof(name(0)) name(ctx_decl)                                         \
	{                                                                      \
		___pybpf_silence_begin                                         \
		return ____##name unpack;                                      \
		___pybpf_silence_end                                           \
	}                                                                      \
	static __always_inline typeof(name(0)) ____##name(ctx_decl, ##args)

/* BPF_PROG: fentry/fexit, tp_btf, raw_tp, struct_ops, lsm: ctx is an array of u64 slots. */
#define ___bpf_ctx0() ctx
#define ___bpf_ctx1(x) ___bpf_ctx0(), (void *)ctx[0]
#define ___bpf_ctx2(x, args...) ___bpf_ctx1(args), (void *)ctx[1]
#define ___bpf_ctx3(x, args...) ___bpf_ctx2(args), (void *)ctx[2]
#define ___bpf_ctx4(x, args...) ___bpf_ctx3(args), (void *)ctx[3]
#define ___bpf_ctx5(x, args...) ___bpf_ctx4(args), (void *)ctx[4]
#define ___bpf_ctx6(x, args...) ___bpf_ctx5(args), (void *)ctx[5]
#define ___bpf_ctx7(x, args...) ___bpf_ctx6(args), (void *)ctx[6]
#define ___bpf_ctx8(x, args...) ___bpf_ctx7(args), (void *)ctx[7]
#define ___bpf_ctx9(x, args...) ___bpf_ctx8(args), (void *)ctx[8]
#define ___bpf_ctx10(x, args...) ___bpf_ctx9(args), (void *)ctx[9]
#define ___bpf_ctx11(x, args...) ___bpf_ctx10(args), (void *)ctx[10]
#define ___bpf_ctx12(x, args...) ___bpf_ctx11(args), (void *)ctx[11]
#define ___bpf_ctx_cast(args...) ___bpf_apply(___bpf_ctx, ___bpf_narg(args))(args)

#define BPF_PROG(name, args...)                                                \
	___pybpf_typed_prog(name, unsigned long long *ctx, (___bpf_ctx_cast(args)), ##args)

/*
 * BPF_PROG2(name, type1, arg1, type2, arg2, ...): like BPF_PROG, but types are given apart from
 * names so arguments wider than 8 bytes (structs passed by value take two slots) unpack right.
 */
#define ___bpf_slots(t) (sizeof(t) > 8 ? 2 : 1)
#define ___bpf_slot_arg(t, n)                                                  \
	({                                                                     \
		union {                                                        \
			unsigned long long ___slots[2];                        \
			t ___value;                                            \
		} ___pybpf_u = {};                                             \
		___pybpf_u.___slots[0] = ctx[(n)];                             \
		if (___bpf_slots(t) == 2)                                      \
			___pybpf_u.___slots[1] = ctx[(n) + 1];                 \
		___pybpf_u.___value;                                           \
	})
#define ___bpf_p2_params0()
#define ___bpf_p2_params2(t, a) , t a
#define ___bpf_p2_params4(t, a, args...) , t a ___bpf_p2_params2(args)
#define ___bpf_p2_params6(t, a, args...) , t a ___bpf_p2_params4(args)
#define ___bpf_p2_params8(t, a, args...) , t a ___bpf_p2_params6(args)
#define ___bpf_p2_params10(t, a, args...) , t a ___bpf_p2_params8(args)
#define ___bpf_p2_params12(t, a, args...) , t a ___bpf_p2_params10(args)
#define ___bpf_p2_params(args...) ___bpf_apply(___bpf_p2_params, ___bpf_narg(args))(args)
/* n: slot index so far, built up as a sum of the earlier arguments' slot counts. */
#define ___bpf_p2_unpack0(n)
#define ___bpf_p2_unpack2(n, t, a) , ___bpf_slot_arg(t, n)
#define ___bpf_p2_unpack4(n, t, a, args...) , ___bpf_slot_arg(t, n) ___bpf_p2_unpack2(n + ___bpf_slots(t), args)
#define ___bpf_p2_unpack6(n, t, a, args...) , ___bpf_slot_arg(t, n) ___bpf_p2_unpack4(n + ___bpf_slots(t), args)
#define ___bpf_p2_unpack8(n, t, a, args...) , ___bpf_slot_arg(t, n) ___bpf_p2_unpack6(n + ___bpf_slots(t), args)
#define ___bpf_p2_unpack10(n, t, a, args...) , ___bpf_slot_arg(t, n) ___bpf_p2_unpack8(n + ___bpf_slots(t), args)
#define ___bpf_p2_unpack12(n, t, a, args...) , ___bpf_slot_arg(t, n) ___bpf_p2_unpack10(n + ___bpf_slots(t), args)
#define ___bpf_p2_unpack(args...) ___bpf_apply(___bpf_p2_unpack, ___bpf_narg(args))(0, ##args)

#define BPF_PROG2(name, args...)                                               \
	name(unsigned long long *ctx);                                         \
	static __always_inline typeof(name(0))                                 \
	____##name(unsigned long long *ctx ___bpf_p2_params(args));            \
	typeof(name(0)) name(unsigned long long *ctx)                          \
	{                                                                      \
		return ____##name(ctx ___bpf_p2_unpack(args));                 \
	}                                                                      \
	static __always_inline typeof(name(0))                                 \
	____##name(unsigned long long *ctx ___bpf_p2_params(args))

/* BPF_KPROBE / BPF_UPROBE: ctx is the probed task's struct pt_regs. */
#define ___bpf_kprobe0() ctx
#define ___bpf_kprobe1(x) ___bpf_kprobe0(), (void *)PT_REGS_PARM1(ctx)
#define ___bpf_kprobe2(x, args...) ___bpf_kprobe1(args), (void *)PT_REGS_PARM2(ctx)
#define ___bpf_kprobe3(x, args...) ___bpf_kprobe2(args), (void *)PT_REGS_PARM3(ctx)
#define ___bpf_kprobe4(x, args...) ___bpf_kprobe3(args), (void *)PT_REGS_PARM4(ctx)
#define ___bpf_kprobe5(x, args...) ___bpf_kprobe4(args), (void *)PT_REGS_PARM5(ctx)
#define ___bpf_kprobe6(x, args...) ___bpf_kprobe5(args), (void *)PT_REGS_PARM6(ctx)
#define ___bpf_kprobe7(x, args...) ___bpf_kprobe6(args), (void *)PT_REGS_PARM7(ctx)
#define ___bpf_kprobe8(x, args...) ___bpf_kprobe7(args), (void *)PT_REGS_PARM8(ctx)
#define ___bpf_kprobe_args(args...) ___bpf_apply(___bpf_kprobe, ___bpf_narg(args))(args)

#define BPF_KPROBE(name, args...)                                              \
	___pybpf_typed_prog(name, struct pt_regs *ctx, (___bpf_kprobe_args(args)), ##args)

/* BPF_KRETPROBE / BPF_URETPROBE: the only argument is the return value. */
#define ___bpf_kretprobe0() ctx
#define ___bpf_kretprobe1(x) ___bpf_kretprobe0(), (void *)PT_REGS_RC(ctx)
#define ___bpf_kretprobe_args(args...) ___bpf_apply(___bpf_kretprobe, ___bpf_narg(args))(args)

#define BPF_KRETPROBE(name, args...)                                           \
	___pybpf_typed_prog(name, struct pt_regs *ctx, (___bpf_kretprobe_args(args)), ##args)

#define BPF_UPROBE(name, args...) BPF_KPROBE(name, ##args)
#define BPF_URETPROBE(name, args...) BPF_KRETPROBE(name, ##args)

/*
 * BPF_KSYSCALL: a kprobe on a syscall entry (SEC("ksyscall/write")).  On x86-64 and arm64 every
 * syscall goes through a wrapper whose only argument is the user's pt_regs, so the arguments
 * are read (with CO-RE, the pointer is a kernel one) from that inner pt_regs.  Define
 * BPF_KSYSCALL_NO_WRAPPER for kernels built without syscall wrappers.
 */
#ifdef BPF_KSYSCALL_NO_WRAPPER
#define ___bpf_sys_regs() ctx
#define ___bpf_sysarg(n, regs) PT_REGS_PARM##n##_SYSCALL(regs)
#else
#define ___bpf_sys_regs() ((struct pt_regs *)PT_REGS_PARM1(ctx))
#define ___bpf_sysarg(n, regs) PT_REGS_PARM##n##_CORE_SYSCALL(regs)
#endif
#define ___bpf_syscall0() ctx
#define ___bpf_syscall1(x) ___bpf_syscall0(), (void *)___bpf_sysarg(1, ___pybpf_sys_regs)
#define ___bpf_syscall2(x, args...) ___bpf_syscall1(args), (void *)___bpf_sysarg(2, ___pybpf_sys_regs)
#define ___bpf_syscall3(x, args...) ___bpf_syscall2(args), (void *)___bpf_sysarg(3, ___pybpf_sys_regs)
#define ___bpf_syscall4(x, args...) ___bpf_syscall3(args), (void *)___bpf_sysarg(4, ___pybpf_sys_regs)
#define ___bpf_syscall5(x, args...) ___bpf_syscall4(args), (void *)___bpf_sysarg(5, ___pybpf_sys_regs)
#define ___bpf_syscall6(x, args...) ___bpf_syscall5(args), (void *)___bpf_sysarg(6, ___pybpf_sys_regs)
#define ___bpf_syscall_args(args...) ___bpf_apply(___bpf_syscall, ___bpf_narg(args))(args)

#define BPF_KSYSCALL(name, args...)                                            \
	name(struct pt_regs *ctx);                                             \
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args); \
	typeof(name(0)) name(struct pt_regs *ctx)                              \
	{                                                                      \
		struct pt_regs *___pybpf_sys_regs = ___bpf_sys_regs();         \
		(void)___pybpf_sys_regs;                                       \
		___pybpf_silence_begin                                         \
		return ____##name(___bpf_syscall_args(args));                  \
		___pybpf_silence_end                                           \
	}                                                                      \
	static __always_inline typeof(name(0)) ____##name(struct pt_regs *ctx, ##args)

#define BPF_KPROBE_SYSCALL BPF_KSYSCALL

/* ---- Formatted output into seq_file (iterators) and strings ----------------------------------
 * Arguments are packed into a u64 array; the format is a static const in .rodata.
 */
#define BPF_SEQ_PRINTF(seq, fmt, args...)                                      \
	({                                                                     \
		static const char ___pybpf_fmt[] = fmt;                        \
		unsigned long long ___pybpf_args[___bpf_narg(args)];           \
		___pybpf_silence_begin                                         \
		___bpf_fill(___pybpf_args, args);                              \
		___pybpf_silence_end                                           \
		bpf_seq_printf(seq, ___pybpf_fmt, sizeof(___pybpf_fmt), ___pybpf_args, \
			       sizeof(___pybpf_args));                         \
	})

#define BPF_SNPRINTF(out, out_size, fmt, args...)                              \
	({                                                                     \
		static const char ___pybpf_fmt[] = fmt;                        \
		unsigned long long ___pybpf_args[___bpf_narg(args)];           \
		___pybpf_silence_begin                                         \
		___bpf_fill(___pybpf_args, args);                              \
		___pybpf_silence_end                                           \
		bpf_snprintf(out, out_size, ___pybpf_fmt, ___pybpf_args, sizeof(___pybpf_args)); \
	})

#endif /* __PYBPF_BPF_TRACING_H */
