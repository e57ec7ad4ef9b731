// SPDX-License-Identifier: Apache-2.0
/* exitsnoop: process exits with exit code, signal and age. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_pid = 0;

struct exitsnoop_event {
	__u64 ts_ns;
	__u64 age_ns;
	__u32 pid;
	__u32 ppid;
	__s32 exit_code;
	__s32 sig;
	char comm[16];
};
struct exitsnoop_event *exitsnoop_event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/sched/sched_process_exit")
int exitsnoop_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	struct task_struct *task;
	struct exitsnoop_event *e;
	int code;

	if (pid != (__u32)id)
		return 0; /* a thread, not the whole process */
	if (targ_pid && pid != targ_pid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	code = BPF_CORE_READ(task, exit_code);
	e->ts_ns = bpf_ktime_get_ns();
	e->age_ns = e->ts_ns - BPF_CORE_READ(task, start_time);
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = (code >> 8) & 0xff;
	e->sig = code & 0x7f;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
