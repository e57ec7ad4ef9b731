// SPDX-License-Identifier: Apache-2.0
/*
 * XDP packet counter: packets per IP protocol number (TCP=6, UDP=17, ICMP=1, ...) for IPv4 and
 * IPv6, in a per-CPU array so CPUs never contend for a counter.  User space sums the per-CPU
 * values.  Non-IP frames are counted under index 255 (IPPROTO_RAW is never a next header here).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif
#define OTHER_PROTOCOL 255

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

static __always_inline __u32 l4_protocol(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return OTHER_PROTOCOL;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return OTHER_PROTOCOL;
		return ip->protocol;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return OTHER_PROTOCOL;
		return ip6->nexthdr;
	}
	return OTHER_PROTOCOL;
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = l4_protocol(data, data_end);
	__u64 *count;

	count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		*count += 1;
	return XDP_PASS;
}
