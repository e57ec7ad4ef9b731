// SPDX-License-Identifier: GPL-2.0
/* Programs `prog load --autoattach` can attach from their section names alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_getppid")
int insp_tp(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int insp_raw_tp(void *ctx)
{
	return 0;
}
