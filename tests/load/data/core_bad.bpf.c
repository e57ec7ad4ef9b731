// SPDX-License-Identifier: GPL-2.0
/* A CO-RE relocation no kernel can satisfy, used without a bpf_core_field_exists() guard. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

struct task_struct___local {
	int no_such_field_in_any_kernel;
} __attribute__((preserve_access_index));

SEC("xdp")
int unguarded(struct xdp_md *ctx)
{
	return bpf_core_field_offset(struct task_struct___local, no_such_field_in_any_kernel);
}
