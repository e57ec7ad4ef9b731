// SPDX-License-Identifier: GPL-2.0
/* CO-RE relocations whose results a test run returns: the loader must resolve them against the
 * target BTF (the running kernel's, or one given by the test). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* Our own idea of the kernel struct: only the fields we use, at offsets that are surely wrong. */
struct task_struct___local {
	int pid;
	int no_such_field_in_any_kernel;
} __attribute__((preserve_access_index));

SEC("xdp")
int pid_offset(struct xdp_md *ctx)
{
	return bpf_core_field_offset(struct task_struct___local, pid);
}

SEC("xdp")
int missing_field_exists(struct xdp_md *ctx)
{
	return bpf_core_field_exists(struct task_struct___local, no_such_field_in_any_kernel);
}

SEC("xdp")
int task_size(struct xdp_md *ctx)
{
	return bpf_core_type_size(struct task_struct___local);
}
