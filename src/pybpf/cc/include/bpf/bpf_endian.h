/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pybpf's bpf_endian.h: network/host byte order conversions for BPF programs.
 *
 * The bpf_htons() family folds to a constant when its argument is one (so it can appear in case
 * labels and initialisers) and otherwise becomes a single byte-swap instruction.  The
 * bpf_constant_* forms are for contexts that require a constant expression.
 */
#ifndef __PYBPF_BPF_ENDIAN_H
#define __PYBPF_BPF_ENDIAN_H

/* Swaps spelled out with shifts: usable where a constant expression is required. */
#define ___bpf_swab16(x) ((__u16)((((__u16)(x) & 0x00ffU) << 8) | (((__u16)(x) & 0xff00U) >> 8)))
#define ___bpf_swab32(x)                                                       \
	((__u32)((((__u32)(x) & 0x000000ffUL) << 24) |                         \
		 (((__u32)(x) & 0x0000ff00UL) << 8) |                          \
		 (((__u32)(x) & 0x00ff0000UL) >> 8) |                          \
		 (((__u32)(x) & 0xff000000UL) >> 24)))
#define ___bpf_swab64(x)                                                       \
	((__u64)((((__u64)(x) & 0x00000000000000ffULL) << 56) |                \
		 (((__u64)(x) & 0x000000000000ff00ULL) << 40) |                \
		 (((__u64)(x) & 0x0000000000ff0000ULL) << 24) |                \
		 (((__u64)(x) & 0x00000000ff000000ULL) << 8) |                 \
		 (((__u64)(x) & 0x000000ff00000000ULL) >> 8) |                 \
		 (((__u64)(x) & 0x0000ff0000000000ULL) >> 24) |                \
		 (((__u64)(x) & 0x00ff000000000000ULL) >> 40) |                \
		 (((__u64)(x) & 0xff00000000000000ULL) >> 56)))

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ___bpf_be16(x) __builtin_bswap16(x)
#define ___bpf_be32(x) __builtin_bswap32(x)
#define ___bpf_be64(x) __builtin_bswap64(x)
#define ___bpf_const_be16(x) ___bpf_swab16(x)
#define ___bpf_const_be32(x) ___bpf_swab32(x)
#define ___bpf_const_be64(x) ___bpf_swab64(x)
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ___bpf_be16(x) (x)
#define ___bpf_be32(x) (x)
#define ___bpf_be64(x) (x)
#define ___bpf_const_be16(x) (x)
#define ___bpf_const_be32(x) (x)
#define ___bpf_const_be64(x) (x)
#else
#error "bpf_endian.h: the compiler does not say which byte order it targets"
#endif

#define bpf_constant_htons(x) ___bpf_const_be16(x)
#define bpf_constant_ntohs(x) ___bpf_const_be16(x)
#define bpf_constant_htonl(x) ___bpf_const_be32(x)
#define bpf_constant_ntohl(x) ___bpf_const_be32(x)
#define bpf_constant_cpu_to_be64(x) ___bpf_const_be64(x)
#define bpf_constant_be64_to_cpu(x) ___bpf_const_be64(x)

#define bpf_htons(x) (__builtin_constant_p(x) ? ___bpf_const_be16(x) : ___bpf_be16(x))
#define bpf_ntohs(x) (__builtin_constant_p(x) ? ___bpf_const_be16(x) : ___bpf_be16(x))
#define bpf_htonl(x) (__builtin_constant_p(x) ? ___bpf_const_be32(x) : ___bpf_be32(x))
#define bpf_ntohl(x) (__builtin_constant_p(x) ? ___bpf_const_be32(x) : ___bpf_be32(x))
#define bpf_cpu_to_be64(x) (__builtin_constant_p(x) ? ___bpf_const_be64(x) : ___bpf_be64(x))
#define bpf_be64_to_cpu(x) (__builtin_constant_p(x) ? ___bpf_const_be64(x) : ___bpf_be64(x))

#endif /* __PYBPF_BPF_ENDIAN_H */
