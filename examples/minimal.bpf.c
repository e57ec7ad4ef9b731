// SPDX-License-Identifier: Apache-2.0
/*
 * The smallest useful tracing program: one line in the trace pipe per write(2) of the chosen
 * process.  target_pid is a read-only global, so the loader sets it (spec.rodata["target_pid"])
 * and the verifier sees a constant: the filter costs nothing when it is 0.
 *
 *   pybpf build examples/minimal.bpf.c
 *   cat /sys/kernel/tracing/trace_pipe
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* 0: report every process. */
const volatile int target_pid = 0;

SEC("tp/syscalls/sys_enter_write")
int on_write(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return 0;
	bpf_printk("write() called by pid %d\n", pid);
	return 0;
}
