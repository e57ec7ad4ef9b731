/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's usdt.bpf.h: reading USDT probe arguments from a uprobe program.
 *
 * A USDT argument is "a register", "memory at register + offset" or "a constant", and which one
 * depends on how the compiler happened to place the value at that probe site.  Userspace
 * (pybpf.usdt.attach_usdt) decodes the note of each site into a spec and stores it in
 * pybpf_usdt_spec; the program finds the spec of the site that fired through the BPF cookie of
 * the attachment, or, on kernels without cookies, through pybpf_usdt_ip keyed by the
 * instruction pointer.  The layouts below are mirrored in pybpf/usdt/specs.py.
 *
 *     SEC("usdt")
 *     int BPF_USDT(on_request, int fd, long size) { ... }
 */
#ifndef __PYBPF_USDT_BPF_H
#define __PYBPF_USDT_BPF_H

#include "bpf_helpers.h"
#include "bpf_tracing.h"

#ifndef PYBPF_USDT_MAX_ARGS
#define PYBPF_USDT_MAX_ARGS 12
#endif
#ifndef PYBPF_USDT_MAX_SPECS
#define PYBPF_USDT_MAX_SPECS 256
#endif
#ifndef PYBPF_USDT_MAX_IPS
#define PYBPF_USDT_MAX_IPS 1024
#endif

enum pybpf_usdt_arg_kind {
	PYBPF_USDT_ARG_CONST = 0,
	PYBPF_USDT_ARG_REG = 1,
	PYBPF_USDT_ARG_REG_DEREF = 2,
};

struct pybpf_usdt_arg_spec {
	/* The constant itself, or the displacement added to the register before the load. */
	__u64 val_off;
	__u32 kind;
	/* Where the register sits in the traced task's struct pt_regs. */
	__s16 reg_off;
	__u8 is_signed;
	/* 64 - 8 * size: shifting left then right keeps the argument's own bytes. */
	__u8 shift;
};

struct pybpf_usdt_spec {
	struct pybpf_usdt_arg_spec args[PYBPF_USDT_MAX_ARGS];
	__u64 cookie;
	__s16 arg_cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PYBPF_USDT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct pybpf_usdt_spec);
} pybpf_usdt_spec SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PYBPF_USDT_MAX_IPS);
	__type(key, long);
	__type(value, __u32);
} pybpf_usdt_ip SEC(".maps") __weak;

extern _Bool LINUX_HAS_BPF_COOKIE __kconfig __weak;

static __always_inline struct pybpf_usdt_spec *___pybpf_usdt_spec(struct pt_regs *ctx)
{
	__u32 id;

	if (LINUX_HAS_BPF_COOKIE) {
		id = (__u32)bpf_get_attach_cookie(ctx);
	} else {
		long ip = PT_REGS_IP(ctx);
		__u32 *found = bpf_map_lookup_elem(&pybpf_usdt_ip, &ip);

		if (!found)
			return 0;
		id = *found;
	}
	return bpf_map_lookup_elem(&pybpf_usdt_spec, &id);
}

/* Number of arguments of the probe site that fired, or -ESRCH without a spec. */
static __always_inline int bpf_usdt_arg_cnt(struct pt_regs *ctx)
{
	struct pybpf_usdt_spec *spec = ___pybpf_usdt_spec(ctx);

	if (!spec)
		return -3; /* -ESRCH */
	return spec->arg_cnt;
}

/* Argument n (from 0) of the probe site, widened to 64 bits by its signedness; 0 or -errno. */
static __always_inline int bpf_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
	struct pybpf_usdt_spec *spec = ___pybpf_usdt_spec(ctx);
	struct pybpf_usdt_arg_spec *arg;
	unsigned long val;
	int err;

	*res = 0;
	if (!spec)
		return -3; /* -ESRCH */
	if (n >= PYBPF_USDT_MAX_ARGS || n >= (__u64)spec->arg_cnt)
		return -2; /* -ENOENT */
	arg = &spec->args[n];
	switch (arg->kind) {
	case PYBPF_USDT_ARG_CONST:
		val = arg->val_off;
		break;
	case PYBPF_USDT_ARG_REG:
		/* The context may not be indexed by a variable offset: copy the slot instead. */
		err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
		if (err)
			return err;
		break;
	case PYBPF_USDT_ARG_REG_DEREF:
		err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + arg->reg_off);
		if (err)
			return err;
		err = bpf_probe_read_user(&val, sizeof(val), (void *)(val + arg->val_off));
		if (err)
			return err;
		break;
	default:
		return -22; /* -EINVAL */
	}
	val <<= arg->shift;
	if (arg->is_signed)
		*res = ((long)val) >> arg->shift;
	else
		*res = val >> arg->shift;
	return 0;
}

/* The cookie given to attach_usdt(..., cookie=N) for this attachment. */
static __always_inline long bpf_usdt_cookie(struct pt_regs *ctx)
{
	struct pybpf_usdt_spec *spec = ___pybpf_usdt_spec(ctx);

	return spec ? (long)spec->cookie : 0;
}

#define ___pybpf_usdt_arg(ctx, n)                                              \
	({                                                                     \
		long ___pybpf_v = 0;                                           \
		bpf_usdt_arg(ctx, n, &___pybpf_v);                             \
		___pybpf_v;                                                    \
	})
#define ___bpf_usdt0() ctx
#define ___bpf_usdt1(x) ___bpf_usdt0(), (void *)___pybpf_usdt_arg(ctx, 0)
#define ___bpf_usdt2(x, args...) ___bpf_usdt1(args), (void *)___pybpf_usdt_arg(ctx, 1)
#define ___bpf_usdt3(x, args...) ___bpf_usdt2(args), (void *)___pybpf_usdt_arg(ctx, 2)
#define ___bpf_usdt4(x, args...) ___bpf_usdt3(args), (void *)___pybpf_usdt_arg(ctx, 3)
#define ___bpf_usdt5(x, args...) ___bpf_usdt4(args), (void *)___pybpf_usdt_arg(ctx, 4)
#define ___bpf_usdt6(x, args...) ___bpf_usdt5(args), (void *)___pybpf_usdt_arg(ctx, 5)
#define ___bpf_usdt7(x, args...) ___bpf_usdt6(args), (void *)___pybpf_usdt_arg(ctx, 6)
#define ___bpf_usdt8(x, args...) ___bpf_usdt7(args), (void *)___pybpf_usdt_arg(ctx, 7)
#define ___bpf_usdt9(x, args...) ___bpf_usdt8(args), (void *)___pybpf_usdt_arg(ctx, 8)
#define ___bpf_usdt10(x, args...) ___bpf_usdt9(args), (void *)___pybpf_usdt_arg(ctx, 9)
#define ___bpf_usdt11(x, args...) ___bpf_usdt10(args), (void *)___pybpf_usdt_arg(ctx, 10)
#define ___bpf_usdt12(x, args...) ___bpf_usdt11(args), (void *)___pybpf_usdt_arg(ctx, 11)
#define ___bpf_usdt_args(args...) ___bpf_apply(___bpf_usdt, ___bpf_narg(args))(args)

/* BPF_USDT(name, args...): a uprobe program whose parameters are the probe's arguments. */
#define BPF_USDT(name, args...)                                                \
	___pybpf_typed_prog(name, struct pt_regs *ctx, (___bpf_usdt_args(args)), ##args)

#endif /* __PYBPF_USDT_BPF_H */
