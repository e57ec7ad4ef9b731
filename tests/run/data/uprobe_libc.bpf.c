// SPDX-License-Identifier: GPL-2.0
/* A uprobe and a uretprobe named fully by their sections, counting into a hash map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

static __always_inline void bump(__u32 key)
{
	__u64 one = 1, *count;

	if ((bpf_get_current_pid_tgid() >> 32) != targ_pid)
		return;
	count = bpf_map_lookup_elem(&calls, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);
}

SEC("uprobe/libc.so.6:getppid")
int on_getppid(void *ctx)
{
	bump(100);
	return 0;
}

SEC("uretprobe/libc.so.6:getppid")
int on_getppid_return(void *ctx)
{
	bump(200);
	return 0;
}
