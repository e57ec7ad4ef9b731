// SPDX-License-Identifier: GPL-2.0
/* One program auto-attach can attach and several it must skip with a reason. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

__u64 hits = 0;

SEC("raw_tp/sys_enter")
int count_syscalls(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("kprobe/do_nanosleep")
int probe_sleep(void *ctx)
{
	return 0;
}

SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
	return 2;
}
