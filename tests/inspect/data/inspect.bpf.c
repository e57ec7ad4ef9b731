// SPDX-License-Identifier: GPL-2.0
/* Programs and maps for the inspection tests: a BTF-typed hash map, a per-CPU array, a queue,
 * an XDP program that uses a helper and a map, and a socket filter with a bpf-to-bpf call. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct point {
	__u32 x;
	__u64 y;
	char label[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct point);
} insp_points SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} insp_percpu SEC(".maps");

SEC("xdp")
int insp_xdp(struct xdp_md *ctx)
{
	__u32 key = 1;
	struct point *p = bpf_map_lookup_elem(&insp_points, &key);

	if (p)
		p->x++;
	return XDP_PASS;
}

static __attribute__((noinline)) int twice(int v)
{
	return v * 2;
}

SEC("socket")
int insp_sock(struct __sk_buff *skb)
{
	__u64 *count;
	__u32 key = 0;

	count = bpf_map_lookup_elem(&insp_percpu, &key);
	if (count)
		*count += 1;
	return twice(skb->len);
}

SEC("socket")
int insp_long_program_name(struct __sk_buff *skb)
{
	return 0;
}
