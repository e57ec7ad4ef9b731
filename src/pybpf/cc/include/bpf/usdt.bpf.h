/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's usdt.bpf.h: reading USDT probe arguments from a uprobe program.
 *
 * A USDT argument is "a register", "memory at register + offset" or "a constant", and which one
 * depends on how the compiler happened to place the value at that probe site.  Userspace
 * (pybpf.usdt.attach_usdt) decodes the note of each site into a struct pybpf_usdt_site and
 * stores it in the pybpf_usdt_spec map; the program finds the site that fired through the BPF
 * cookie of the attachment, or, on kernels without cookies, through pybpf_usdt_ip keyed by the
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

/* One argument of a probe site, as userspace decoded it from the note. */
struct pybpf_usdt_arg {
	/* CONST: the value itself; REG_DEREF: the displacement added to the register. */
	__u64 addend;
	/* Where the register sits in the traced task's struct pt_regs (REG, REG_DEREF). */
	__u16 pt_regs_off;
	__u8 kind; /* enum pybpf_usdt_arg_kind */
	__u8 size; /* bytes the argument occupies: 1, 2, 4 or 8 */
	__u8 is_signed;
	__u8 reserved[3];
};

/* What a program needs to know about the probe site that fired. */
struct pybpf_usdt_site {
	__u64 cookie; /* attach_usdt(..., cookie=N) */
	__u32 nargs;
	__u32 reserved;
	struct pybpf_usdt_arg args[PYBPF_USDT_MAX_ARGS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PYBPF_USDT_MAX_SPECS);
	__type(key, __u32);
	__type(value, struct pybpf_usdt_site);
} pybpf_usdt_spec SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PYBPF_USDT_MAX_IPS);
	__type(key, long);
	__type(value, __u32);
} pybpf_usdt_ip SEC(".maps") __weak;

extern _Bool LINUX_HAS_BPF_COOKIE __kconfig __weak;

static __always_inline struct pybpf_usdt_site *__pybpf_usdt_site_of(struct pt_regs *ctx)
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
	struct pybpf_usdt_site *site = __pybpf_usdt_site_of(ctx);

	if (!site)
		return -3; /* -ESRCH */
	return site->nargs;
}

/* The 64 bits an argument spec designates, before narrowing to the argument's size; 0 or -errno. */
static __always_inline int __pybpf_usdt_fetch(struct pt_regs *ctx, const struct pybpf_usdt_arg *arg,
					      unsigned long *raw)
{
	int err;

	if (arg->kind == PYBPF_USDT_ARG_CONST) {
		*raw = arg->addend;
		return 0;
	}
	if (arg->kind != PYBPF_USDT_ARG_REG && arg->kind != PYBPF_USDT_ARG_REG_DEREF)
		return -22; /* -EINVAL */
	/* The verifier refuses a variable offset into the context, so the register is copied out. */
	err = bpf_probe_read_kernel(raw, sizeof(*raw), (void *)ctx + arg->pt_regs_off);
	if (err || arg->kind == PYBPF_USDT_ARG_REG)
		return err;
	/* The register holds an address in the traced process; the argument lives at address + off. */
	return bpf_probe_read_user(raw, sizeof(*raw), (void *)(*raw + arg->addend));
}

/* Argument n (from 0) of the probe site, widened to 64 bits by its signedness; 0 or -errno. */
static __always_inline int bpf_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
	struct pybpf_usdt_site *site = __pybpf_usdt_site_of(ctx);
	struct pybpf_usdt_arg *arg;
	unsigned long raw = 0;
	unsigned int unused_bits;
	int err;

	*res = 0;
	if (!site)
		return -3; /* -ESRCH */
	if (n >= PYBPF_USDT_MAX_ARGS || n >= site->nargs)
		return -2; /* -ENOENT */
	arg = &site->args[n];
	if (arg->size == 0 || arg->size > 8)
		return -22; /* -EINVAL */
	err = __pybpf_usdt_fetch(ctx, arg, &raw);
	if (err)
		return err;
	/* Moving the argument's top byte to the top of the word and back drops the bytes above it. */
	unused_bits = 64 - 8 * arg->size;
	raw <<= unused_bits;
	*res = arg->is_signed ? ((long)raw) >> unused_bits : (long)(raw >> unused_bits);
	return 0;
}

/* The cookie given to attach_usdt(..., cookie=N) for this attachment. */
static __always_inline long bpf_usdt_cookie(struct pt_regs *ctx)
{
	struct pybpf_usdt_site *site = __pybpf_usdt_site_of(ctx);

	return site ? (long)site->cookie : 0;
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
