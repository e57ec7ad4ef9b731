// SPDX-License-Identifier: GPL-2.0
/* A (useless) TCP congestion control as struct_ops, in a link-registered map: loading it fills
 * the map but registers nothing until a link is made. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("struct_ops/pybpf_ssthresh")
__u32 BPF_PROG(pybpf_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/pybpf_undo_cwnd")
__u32 BPF_PROG(pybpf_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC("struct_ops/pybpf_cong_avoid")
void BPF_PROG(pybpf_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

/* Not in the table below: the loader leaves it alone. */
SEC("struct_ops/pybpf_unused")
__u32 BPF_PROG(pybpf_unused, struct sock *sk)
{
	return 0;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops pybpf_cc = {
	.ssthresh = (void *)pybpf_ssthresh,
	.undo_cwnd = (void *)pybpf_undo_cwnd,
	.cong_avoid = (void *)pybpf_cong_avoid,
	.name = "pybpf_cc",
};
