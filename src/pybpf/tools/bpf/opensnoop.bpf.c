// SPDX-License-Identifier: Apache-2.0
/* opensnoop: openat(2) calls with their result; the path is kept from entry to exit by thread. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 targ_pid = 0;

struct opensnoop_args {
	const char *fname;
	__s32 flags;
};

struct opensnoop_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[16];
	char fname[256];
};
struct opensnoop_event *opensnoop_event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct opensnoop_args);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int opensnoop_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct opensnoop_args args = {};

	if (targ_pid && (id >> 32) != targ_pid)
		return 0;
	args.fname = (const char *)ctx->args[1];
	args.flags = (__s32)ctx->args[2];
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int opensnoop_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct opensnoop_args *args = bpf_map_lookup_elem(&start, &tid);
	struct opensnoop_event *e;

	if (!args)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->ts_ns = bpf_ktime_get_ns();
		e->pid = id >> 32;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->ret = (__s32)ctx->ret;
		e->flags = args->flags;
		bpf_get_current_comm(&e->comm, sizeof(e->comm));
		bpf_probe_read_user_str(&e->fname, sizeof(e->fname), args->fname);
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
