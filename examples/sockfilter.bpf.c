// SPDX-License-Identifier: Apache-2.0
/*
 * A socket filter (attach to a raw socket with SO_ATTACH_BPF) that reports the addresses,
 * protocol and ports of each IPv4 packet through a ring buffer.  Socket filters cannot read the
 * packet directly, so everything goes through bpf_skb_load_bytes.  The return value is how many
 * bytes of the packet the socket receives: all of them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sockfilter.h"

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_HLEN
#define ETH_HLEN 14
#endif
/* Fragment offset and "more fragments" bits of iphdr.frag_off (network order). */
#define IP_OFFSET_MASK 0x3FFF

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

static __always_inline bool is_fragment(struct __sk_buff *skb)
{
	__u16 frag_off;

	bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, frag_off), &frag_off, sizeof(frag_off));
	return (bpf_ntohs(frag_off) & IP_OFFSET_MASK) != 0;
}

SEC("socket")
int socket_handler(struct __sk_buff *skb)
{
	struct so_event *e;
	__u16 proto;
	__u8 version_ihl, ip_proto;
	__u32 ihl;

	bpf_skb_load_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, sizeof(proto));
	if (bpf_ntohs(proto) != ETH_P_IP)
		return skb->len;
	if (is_fragment(skb))
		return skb->len;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return skb->len;

	bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, protocol), &ip_proto, 1);
	e->ip_proto = ip_proto;
	if (ip_proto != IPPROTO_GRE) {
		bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &e->src_addr, 4);
		bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), &e->dst_addr, 4);
	}
	/* The header length is the low nibble of the first byte, in 32-bit words. */
	bpf_skb_load_bytes(skb, ETH_HLEN, &version_ihl, 1);
	ihl = (version_ihl & 0x0F) * 4;
	bpf_skb_load_bytes(skb, ETH_HLEN + ihl, &e->ports, 4);
	e->pkt_type = skb->pkt_type;
	e->ifindex = skb->ifindex;

	bpf_ringbuf_submit(e, 0);
	return skb->len;
}
