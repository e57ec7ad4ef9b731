// SPDX-License-Identifier: GPL-2.0
/* A typed __ksym kernel variable, resolved to its vmlinux BTF id (needs CONFIG_KALLSYMS_ALL). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern const int bpf_prog_active __ksym;

/* Reads the per-CPU variable: non-negative on any kernel. */
SEC("tc")
int prog_active(struct __sk_buff *skb)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);

	return *active >= 0 ? 1 : 0;
}
