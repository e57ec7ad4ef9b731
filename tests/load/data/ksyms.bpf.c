// SPDX-License-Identifier: GPL-2.0
/* __ksym kernel functions (kfuncs): one the kernel has, and a missing weak one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int pybpf_no_such_kfunc(void) __ksym __weak;

/* Returns the packet's first byte, read through a dynptr made by the kfunc. */
SEC("tc")
int first_byte(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	__u8 byte = 0;

	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return -1;
	if (bpf_dynptr_read(&byte, 1, &ptr, 0, 0))
		return -2;
	return byte;
}

/* 1 when the weak kfunc resolved (it never does), 0 otherwise. */
SEC("tc")
int weak_kfunc_exists(struct __sk_buff *skb)
{
	if (bpf_ksym_exists(pybpf_no_such_kfunc))
		return pybpf_no_such_kfunc() + 1;
	return 0;
}
