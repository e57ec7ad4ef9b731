/* Records kernel and user stack ids of getpid() calls made by one process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define PERF_MAX_STACK_DEPTH 127

const volatile int target_tgid = 0;

/* One map per kind of stack: sharing one, the user stack's hash could land in the bucket the
 * kernel stack holds, and bpf_get_stackid would refuse it with -EEXIST. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
} kernel_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
} user_stacks SEC(".maps");

/* Slot 0: kernel stack id of the last call; slot 1: its user stack id (negative: -errno). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, long);
} ids SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	__u32 kernel_slot = 0, user_slot = 1;
	long *cell;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	cell = bpf_map_lookup_elem(&ids, &kernel_slot);
	if (cell)
		*cell = bpf_get_stackid(ctx, &kernel_stacks, 0);
	cell = bpf_map_lookup_elem(&ids, &user_slot);
	if (cell)
		*cell = bpf_get_stackid(ctx, &user_stacks, BPF_F_USER_STACK);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
