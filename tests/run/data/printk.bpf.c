// SPDX-License-Identifier: GPL-2.0
/* Prints through the trace pipe and counts into a histogram-shaped array. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

SEC("tp/syscalls/sys_enter_getppid")
int say_hello(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 slot = 3;
	__u64 *count;

	if (pid != targ_pid)
		return 0;
	bpf_printk("hello from %d", pid);
	count = bpf_map_lookup_elem(&slots, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 0;
}
