/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_endian.h: network/host byte order conversions for BPF programs.
 *
 * bpf_htons() and friends fold to a constant when given one (so they work in case labels and
 * initialisers) and otherwise compile to a single byte-swap instruction.  The bpf_constant_*
 * forms are for places that require a constant expression outright.
 */
#ifndef __PYBPF_BPF_ENDIAN_H
#define __PYBPF_BPF_ENDIAN_H

/*
 * Constant-expression byte reversal: byte i of x (counting from the least significant) moves to
 * position width - 1 - i.  Written with shifts and masks only, so it folds anywhere.
 */
#define __pybpf_byte_at(x, i) (((__u64)(x) >> (8 * (i))) & 0xffULL)
#define __pybpf_byte_to(x, i, width) (__pybpf_byte_at(x, i) << (8 * ((width) - 1 - (i))))
#define __pybpf_rev16(x) ((__u16)(__pybpf_byte_to(x, 0, 2) | __pybpf_byte_to(x, 1, 2)))
#define __pybpf_rev32(x)                                                       \
	((__u32)(__pybpf_byte_to(x, 0, 4) | __pybpf_byte_to(x, 1, 4) |         \
		 __pybpf_byte_to(x, 2, 4) | __pybpf_byte_to(x, 3, 4)))
#define __pybpf_rev64(x)                                                       \
	((__u64)(__pybpf_byte_to(x, 0, 8) | __pybpf_byte_to(x, 1, 8) |         \
		 __pybpf_byte_to(x, 2, 8) | __pybpf_byte_to(x, 3, 8) |         \
		 __pybpf_byte_to(x, 4, 8) | __pybpf_byte_to(x, 5, 8) |         \
		 __pybpf_byte_to(x, 6, 8) | __pybpf_byte_to(x, 7, 8)))

/* Network order is big-endian: a conversion is a swap on little-endian targets, else nothing. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define __pybpf_net16(x) __builtin_bswap16(x)
#define __pybpf_net32(x) __builtin_bswap32(x)
#define __pybpf_net64(x) __builtin_bswap64(x)
#define __pybpf_net16_const(x) __pybpf_rev16(x)
#define __pybpf_net32_const(x) __pybpf_rev32(x)
#define __pybpf_net64_const(x) __pybpf_rev64(x)
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define __pybpf_net16(x) (x)
#define __pybpf_net32(x) (x)
#define __pybpf_net64(x) (x)
#define __pybpf_net16_const(x) (x)
#define __pybpf_net32_const(x) (x)
#define __pybpf_net64_const(x) (x)
#else
#error "bpf_endian.h: the compiler does not say which byte order it targets"
#endif

/* A constant folds through the shift form; anything else becomes one swap instruction. */
#define __pybpf_net(bits, x) \
	(__builtin_constant_p(x) ? __pybpf_net##bits##_const(x) : __pybpf_net##bits(x))

#define bpf_constant_htons(x) __pybpf_net16_const(x)
#define bpf_constant_ntohs(x) __pybpf_net16_const(x)
#define bpf_constant_htonl(x) __pybpf_net32_const(x)
#define bpf_constant_ntohl(x) __pybpf_net32_const(x)
#define bpf_constant_cpu_to_be64(x) __pybpf_net64_const(x)
#define bpf_constant_be64_to_cpu(x) __pybpf_net64_const(x)

#define bpf_htons(x) __pybpf_net(16, x)
#define bpf_ntohs(x) __pybpf_net(16, x)
#define bpf_htonl(x) __pybpf_net(32, x)
#define bpf_ntohl(x) __pybpf_net(32, x)
#define bpf_cpu_to_be64(x) __pybpf_net(64, x)
#define bpf_be64_to_cpu(x) __pybpf_net(64, x)

#endif /* __PYBPF_BPF_ENDIAN_H */
