// SPDX-License-Identifier: GPL-2.0
/* Programs exercising the VM runtime: maps, helpers, packet contexts, tail calls, callbacks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#ifndef NULL
#define NULL ((void *)0)
#endif

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lengths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} lens_fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct event {
	__u32 len;
	__u16 proto;
	__u16 pad;
};

const volatile __u64 multiplier = 1;
__u64 loop_total = 0;
__u64 visited_sum = 0;

SEC("xdp")
int xdp_lengths(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u64 one = 1, *count;
	__u32 zero = 0;

	count = bpf_map_lookup_elem(&lengths, &len);
	if (count)
		*count += 1;
	else
		bpf_map_update_elem(&lengths, &len, &one, BPF_NOEXIST);
	count = bpf_map_lookup_elem(&stats, &zero);
	if (count)
		*count += len * multiplier;
	bpf_map_push_elem(&lens_fifo, &len, BPF_EXIST);
	return XDP_PASS;
}

SEC("xdp")
int xdp_pop_ethernet(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct ethhdr)))
		return XDP_ABORTED;
	return XDP_TX;
}

SEC("xdp")
int xdp_grow_tail(struct xdp_md *ctx)
{
	void *data, *data_end;
	__u8 *tail;

	if (bpf_xdp_adjust_tail(ctx, 4))
		return XDP_ABORTED;
	__u32 len;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	len = (__u32)(data_end - data);
	if (len < 4)
		return XDP_ABORTED;
	tail = data + ((len - 4) & 0x7ff);
	if ((void *)(tail + 4) > data_end)
		return XDP_ABORTED;
	tail[0] = 0xAB;
	tail[3] = 0xCD;
	return XDP_PASS;
}

SEC("xdp")
int xdp_redirect_out(struct xdp_md *ctx)
{
	return bpf_redirect(7, 0);
}

SEC("tc")
int tc_rewrite_ttl(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u16 old, new;
	__u8 ttl = 1;

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	old = *(__u16 *)&ip->ttl;
	bpf_skb_store_bytes(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, ttl), &ttl, 1, 0);
	new = (old & 0xFF00) | ttl; /* ttl is the first byte of the 16-bit word it shares */
	bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, check), old, new, 2);
	skb->mark = 42;
	return TC_ACT_OK;
}

SEC("socket")
int sock_report(struct __sk_buff *skb)
{
	struct event *e;
	__u8 version;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->len = skb->len;
	e->proto = bpf_ntohs(skb->protocol);
	e->pad = 0;
	if (bpf_skb_load_bytes(skb, 0, &version, 1) == 0 && (version >> 4) != 4) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return skb->len;
}

static long add_index(__u64 index, void *ctx)
{
	loop_total += index * multiplier;
	return 0;
}

static long sum_values(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
	visited_sum += *key * 1000 + *value;
	return 0;
}

SEC("syscall")
int run_callbacks(void *ctx)
{
	long n = bpf_loop(5, add_index, NULL, 0);

	bpf_for_each_map_elem(&lengths, sum_values, NULL, 0);
	bpf_printk("loop ran %ld times, total %llu", n, loop_total);
	return n;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps");

SEC("xdp")
int xdp_tail_target(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int xdp_tail_entry(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jumps, 0);
	return XDP_DROP;
}

SEC("tracepoint/syscalls/sys_enter_write")
int trace_identity(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	char comm[16];
	__u32 key = 1;
	__u64 value;

	bpf_get_current_comm(comm, sizeof(comm));
	value = (pid_tgid >> 32) + comm[0] + bpf_ktime_get_ns();
	bpf_map_update_elem(&stats, &key, &value, BPF_ANY);
	key = 2;
	value = bpf_get_prandom_u32();
	bpf_map_update_elem(&stats, &key, &value, BPF_ANY);
	return 0;
}

SEC("xdp")
int xdp_add_meta(struct xdp_md *ctx)
{
	void *data, *meta;

	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if (meta + 4 > data)
		return XDP_ABORTED;
	*(__u32 *)meta = 0xdeadbeef;
	return XDP_PASS;
}

SEC("xdp")
int xdp_ingress_info(struct xdp_md *ctx)
{
	return ctx->rx_queue_index * 16 + ctx->ingress_ifindex + XDP_PASS * 0;
}

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [1] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_out SEC(".maps");

extern int LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int xdp_inner_map(struct xdp_md *ctx)
{
	__u32 zero = 0, which = (ctx->data_end - ctx->data) & 1;
	__u32 *value;
	void *inner = bpf_map_lookup_elem(&outer, &which);
	__u64 version = LINUX_KERNEL_VERSION;

	if (!inner)
		return XDP_ABORTED;
	value = bpf_map_lookup_elem(inner, &zero);
	if (!value)
		return XDP_ABORTED;
	*value += 1;
	bpf_perf_event_output(ctx, &perf_out, BPF_F_CURRENT_CPU, &version, sizeof(version));
	return XDP_PASS;
}

#define BPF_F_PSEUDO_HDR_FLAG (1ULL << 4)
#define BPF_F_MARK_MANGLED_0_FLAG (1ULL << 5)
#define IP_OFF sizeof(struct ethhdr)
#define UDP_OFF (sizeof(struct ethhdr) + sizeof(struct iphdr))

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	__be32 old_ip, new_ip = bpf_htonl(0xC0A80001);
	__be16 old_port, new_port = bpf_htons(5353);
	__u8 proto;
	__s64 diff;

	if (bpf_skb_load_bytes(skb, IP_OFF + offsetof(struct iphdr, protocol), &proto, 1) || proto != 17)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, IP_OFF + offsetof(struct iphdr, saddr), &old_ip, 4))
		return TC_ACT_OK;
	diff = bpf_csum_diff(&old_ip, 4, &new_ip, 4, 0);
	bpf_skb_store_bytes(skb, IP_OFF + offsetof(struct iphdr, saddr), &new_ip, 4, 0);
	bpf_l3_csum_replace(skb, IP_OFF + offsetof(struct iphdr, check), 0, diff, 0);
	bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), 0, diff,
			    BPF_F_PSEUDO_HDR_FLAG | BPF_F_MARK_MANGLED_0_FLAG);
	if (bpf_skb_load_bytes(skb, UDP_OFF + offsetof(struct udphdr, dest), &old_port, 2))
		return TC_ACT_SHOT;
	bpf_skb_store_bytes(skb, UDP_OFF + offsetof(struct udphdr, dest), &new_port, 2, 0);
	bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), old_port, new_port,
			    2 | BPF_F_MARK_MANGLED_0_FLAG);
	return diff & 0xFF;
}

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

SEC("xdp")
int xdp_redirect_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, (ctx->data_end - ctx->data) & 3, XDP_DROP);
}
