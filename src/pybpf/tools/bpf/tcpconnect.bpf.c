// SPDX-License-Identifier: Apache-2.0
/* tcpconnect: active TCP opens, seen as the socket entering SYN_SENT. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#define TCP_SYN_SENT_STATE 2
#define PROTO_TCP 6

const volatile __u32 targ_pid = 0;

struct tcpconnect_event {
	__u64 ts_ns;
	__u32 pid;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u32 saddr[4]; /* u32s, not u8s: decoders show u8 arrays as text */
	__u32 daddr[4];
	char comm[16];
};
struct tcpconnect_event *tcpconnect_event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/sock/inet_sock_set_state")
int tcpconnect_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct tcpconnect_event *e;

	if (ctx->protocol != PROTO_TCP || ctx->newstate != TCP_SYN_SENT_STATE)
		return 0;
	if (targ_pid && pid != targ_pid)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid;
	e->family = ctx->family;
	e->sport = ctx->sport;
	e->dport = ctx->dport;
	/* The context may only be read at constant offsets: copy the arrays with a helper. */
	if (ctx->family == 2) {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		bpf_probe_read_kernel(e->saddr, 4, ctx->saddr);
		bpf_probe_read_kernel(e->daddr, 4, ctx->daddr);
	} else {
		bpf_probe_read_kernel(e->saddr, 16, ctx->saddr_v6);
		bpf_probe_read_kernel(e->daddr, 16, ctx->daddr_v6);
	}
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
