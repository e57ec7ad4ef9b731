/* Shared by the CO-RE test programs (see tests/core/test_core_programs.py).
 *
 * Every program is built twice: normally (the "local" layouts the code is written against) and
 * with -DTARGET (the layouts of a pretend kernel).  T(name) names a target layout: in the TARGET
 * build it is the real type name, in the normal build a copy prefixed exp_, whose offsetof() and
 * sizeof() are compile-time constants the checks compare relocated values against.  A check
 * returns its line number on failure, so a failing kernel run points at the source line.
 */
#ifndef CORE_TEST_H
#define CORE_TEST_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond))                                                       \
			return __LINE__;                                           \
	} while (0)

#ifdef TARGET
#define T(name) name
#else
#define T(name) exp_##name
#endif

#define PAI __attribute__((preserve_access_index))
#define offsetof(type, member) __builtin_offsetof(type, member)

/* Keeps the compiler from folding a value it wrote itself. */
#define OPAQUE(x) ({ typeof(x) ___v = (x); asm volatile("" : "+r"(___v)); ___v; })

char LICENSE[] SEC("license") = "GPL";

#endif
