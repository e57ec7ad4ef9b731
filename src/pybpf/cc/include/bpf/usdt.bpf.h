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

static __always_inline struct pybpf_usdt_spec *__pybpf_usdt_spec_of(struct pt_regs *ctx)
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
	struct pybpf_usdt_spec *spec = __pybpf_usdt_spec_of(ctx);

	if (!spec)
		return -3; /* -ESRCH */
	return spec->arg_cnt;
}

/* The 64 bits an argument spec designates, before narrowing to the argument's size; 0 or -errno. */
static __always_inline int __pybpf_usdt_fetch(struct pt_regs *ctx, const struct pybpf_usdt_arg_spec *arg,
					      unsigned long *raw)
{
	int err;

	if (arg->kind == PYBPF_USDT_ARG_CONST) {
		*raw = arg->val_off;
		return 0;
	}
	if (arg->kind != PYBPF_USDT_ARG_REG && arg->kind != PYBPF_USDT_ARG_REG_DEREF)
		return -22; /* -EINVAL */
	/* The verifier refuses a variable offset into the context, so the register is copied out. */
	err = bpf_probe_read_kernel(raw, sizeof(*raw), (void *)ctx + arg->reg_off);
	if (err || arg->kind == PYBPF_USDT_ARG_REG)
		return err;
	/* The register holds an address in the traced process; the argument lives at address + off. */
	return bpf_probe_read_user(raw, sizeof(*raw), (void *)(*raw + arg->val_off));
}

/* Argument n (from 0) of the probe site, widened to 64 bits by its signedness; 0 or -errno. */
static __always_inline int bpf_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
	struct pybpf_usdt_spec *spec = __pybpf_usdt_spec_of(ctx);
	struct pybpf_usdt_arg_spec *arg;
	unsigned long raw = 0;
	int err;

	*res = 0;
	if (!spec)
		return -3; /* -ESRCH */
	if (n >= PYBPF_USDT_MAX_ARGS || n >= (__u64)spec->arg_cnt)
		return -2; /* -ENOENT */
	arg = &spec->args[n];
	err = __pybpf_usdt_fetch(ctx, arg, &raw);
	if (err)
		return err;
	/* Moving the argument's top byte to the top of the word and back drops the bytes above it. */
	raw <<= arg->shift;
	*res = arg->is_signed ? ((long)raw) >> arg->shift : (long)(raw >> arg->shift);
	return 0;
}

/* The cookie given to attach_usdt(..., cookie=N) for this attachment. */
static __always_inline long bpf_usdt_cookie(struct pt_regs *ctx)
{
	struct pybpf_usdt_spec *spec = __pybpf_usdt_spec_of(ctx);

	return spec ? (long)spec->cookie : 0;
}

/* Argument n of the probe site as a value; 0 when it cannot be read. */
#define __pybpf_usdt_value(ctx, n)                                             \
	({                                                                     \
		long __pybpf_v = 0;                                            \
		bpf_usdt_arg(ctx, n, &__pybpf_v);                              \
		__pybpf_v;                                                     \
	})
#define __pybpf_from_usdt(pos, param) , (void *)__pybpf_usdt_value(ctx, (pos) - 1)

/* BPF_USDT(name, args...): a uprobe program whose parameters are the probe's arguments. */
#define BPF_USDT(name, ...)                                                    \
	__pybpf_typed_prog(name, struct pt_regs *ctx, ,                        \
			   ctx __pybpf_each(__pybpf_from_usdt, __VA_ARGS__), __VA_ARGS__)

#endif /* __PYBPF_USDT_BPF_H */
