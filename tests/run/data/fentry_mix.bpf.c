// SPDX-License-Identifier: GPL-2.0
/* One trampoline program next to a tracepoint: the first may be refused by the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry/do_sys_openat2")
int on_openat_entry(void *ctx)
{
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int on_openat_tp(void *ctx)
{
	return 0;
}
