// SPDX-License-Identifier: GPL-2.0
/* Packet programs whose test_run results are easy to predict. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* Swap the Ethernet source and destination and bounce the frame back (XDP_TX); frames too
 * short for an Ethernet header are dropped. */
SEC("xdp")
int xdp_bounce(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	unsigned char tmp[6];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, tmp, 6);
	return XDP_TX;
}

/* Mark every packet with its length and accept it. */
SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
	skb->mark = skb->len;
	return 0; /* TC_ACT_OK */
}

/* Keep only IPv4 packets, truncated to 64 bytes. */
SEC("socket")
int sock_ipv4(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(0x0800) ? 64 : 0;
}
