// SPDX-License-Identifier: Apache-2.0
/*
 * Process lifetimes: an event when a process execs (with its parent and file name) and when it
 * exits (with its exit code and how long it ran).  Exec times wait in a hash map until the exit.
 * min_duration_ns > 0 drops short-lived processes and suppresses exec events altogether.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bootstrap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, pid_t);
	__type(value, u64);
} exec_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

/* Records are only ever built through a local pointer, and clang emits BTF for the types of
 * globals, maps and functions, not of locals: this unused global puts struct event into the
 * object's BTF, so readers can decode records by name (ring_buffer(type="struct event")). */
struct event *bootstrap_event_type __attribute__((unused));

const volatile unsigned long long min_duration_ns = 0;

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task;
	struct event *e;
	unsigned int filename_off;
	pid_t pid;
	u64 now;

	pid = bpf_get_current_pid_tgid() >> 32;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&exec_start, &pid, &now, BPF_ANY);

	if (min_duration_ns)
		return 0;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	e->exit_event = false;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	/* Dynamic tracepoint fields: the low 16 bits are the offset from the record's start. */
	filename_off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_str(&e->filename, sizeof(e->filename), (void *)ctx + filename_off);

	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task;
	struct event *e;
	u64 id, *start_ns, duration_ns = 0;
	pid_t pid, tid;

	id = bpf_get_current_pid_tgid();
	pid = id >> 32;
	tid = (u32)id;
	/* Only the whole process ending counts, not each of its threads. */
	if (pid != tid)
		return 0;

	start_ns = bpf_map_lookup_elem(&exec_start, &pid);
	if (start_ns)
		duration_ns = bpf_ktime_get_ns() - *start_ns;
	else if (min_duration_ns)
		return 0;
	bpf_map_delete_elem(&exec_start, &pid);

	if (min_duration_ns && duration_ns < min_duration_ns)
		return 0;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	e->exit_event = true;
	e->duration_ns = duration_ns;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));

	bpf_ringbuf_submit(e, 0);
	return 0;
}
