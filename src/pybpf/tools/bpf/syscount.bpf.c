// SPDX-License-Identifier: Apache-2.0
/*
 * syscount and syslat: per-syscall counts and total latency, and a log2 histogram of syscall
 * latency in microseconds.  Entry times wait per thread between sys_enter and sys_exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define MAX_SLOTS 27

const volatile __u32 targ_pid = 0;
const volatile __s32 targ_syscall = -1;
const volatile char targ_comm[16] = "";

/* Whether the current task's command is targ_comm (or no command filter is set). */
static __always_inline bool comm_allowed(void)
{
	char comm[16];

	if (!targ_comm[0])
		return true;
	bpf_get_current_comm(&comm, sizeof(comm));
	for (int i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

struct syscount_value {
	__u64 count;
	__u64 total_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct syscount_value);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* The bit length of v (0 for 0, 1 for 1, 2 for 2..3): slot k holds 2^(k-1)..2^k-1, the
 * convention pybpf.events.format_log2_hist labels its rows with. */
static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;

	#pragma unroll
	for (int i = 0; i < 64; i++) {
		if (v == 0)
			break;
		v >>= 1;
		r++;
	}
	return r;
}

SEC("raw_tp/sys_enter")
int syscount_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 now;

	if (targ_pid && (id >> 32) != targ_pid)
		return 0;
	if (targ_syscall >= 0 && ctx->args[1] != targ_syscall)
		return 0;
	if (!comm_allowed())
		return 0;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("raw_tp/sys_exit")
int syscount_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct syscount_value *value, zero = {};
	__u64 *start_ns, delta;
	__u32 nr, slot;
	long orig = 0;

	start_ns = bpf_map_lookup_elem(&start, &tid);
	if (!start_ns)
		return 0;
	delta = bpf_ktime_get_ns() - *start_ns;
	bpf_map_delete_elem(&start, &tid);
	bpf_probe_read_kernel(&orig, sizeof(orig), &regs->orig_ax);
	nr = (__u32)orig;
	value = bpf_map_lookup_elem(&counts, &nr);
	if (!value) {
		bpf_map_update_elem(&counts, &nr, &zero, BPF_NOEXIST);
		value = bpf_map_lookup_elem(&counts, &nr);
		if (!value)
			return 0;
	}
	__sync_fetch_and_add(&value->count, 1);
	__sync_fetch_and_add(&value->total_ns, delta);
	slot = log2l(delta / 1000);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__u64 *bucket = bpf_map_lookup_elem(&hist, &slot);
	if (bucket)
		__sync_fetch_and_add(bucket, 1);
	return 0;
}
