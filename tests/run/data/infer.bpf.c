// SPDX-License-Identifier: GPL-2.0
/* Producers of every shape the event type inference must recognise. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct named_event {
	__u32 pid;
	__u32 value;
	char comm[8];
};

struct stack_event {
	__u64 when;
	__u16 cpu;
	__u16 flags;
	__u32 pad;
};

struct big_event {
	__u64 a, b, c;
};

enum mode { MODE_OFF = 0, MODE_FAST = 1, MODE_SLOW = 2 };

const volatile __u32 target_pid = 0;
const volatile __s16 offset = 0;
const volatile bool verbose = false;
const volatile char label[8] = "";
const volatile enum mode run_mode = MODE_OFF;
/* Puts named_event into BTF, as libbpf-bootstrap's "unused" trick does. */
struct named_event *unused_named __attribute__((unused));

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } named SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } stacked SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } perf SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } sized SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } unused_rb SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int reserve_named(void *ctx)
{
	struct named_event *e = bpf_ringbuf_reserve(&named, sizeof(struct named_event), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->value = target_pid + offset + verbose + run_mode + label[0];
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int output_stack(void *ctx)
{
	struct stack_event ev = {};
	struct big_event big = {};

	ev.when = bpf_ktime_get_ns();
	ev.cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_output(&stacked, &ev, sizeof(ev), 0);
	big.a = ev.when;
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &big, sizeof(big));
	return 0;
}

SEC("tp/syscalls/sys_enter_getuid")
int variable_size(void *ctx)
{
	char buf[64] = {};
	__u64 n = bpf_get_prandom_u32() & 31;

	bpf_ringbuf_output(&sized, buf, n + 1, 0);
	return 0;
}
