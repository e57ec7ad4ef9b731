// SPDX-License-Identifier: Apache-2.0
/*
 * A tc (sched_cls) ingress program that looks at IPv4 packets and lets everything through.
 * Direct packet access: every header is bounds-checked against data_end before it is read,
 * which is what the verifier requires.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Macros from the uapi headers, which vmlinux.h (types only) does not carry. */
#ifndef TC_ACT_OK
#define TC_ACT_OK 0
#endif
#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int tc_ingress(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;

	ip = (struct iphdr *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;

	bpf_printk("IPv4 packet: %d bytes, ttl %d, proto %d", bpf_ntohs(ip->tot_len), ip->ttl, ip->protocol);
	return TC_ACT_OK;
}
