#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

__u64 total;

static __noinline __u64 leaf(__u64 x)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&values, &key);
	return v ? *v + x : x;
}

static __noinline __u64 middle(__u64 x)
{
	return leaf(x) * 3 + leaf(x + 1);
}

__noinline int global_helper(int x)
{
	return x * 2 + 1;
}

static int loop_cb(__u32 index, void *ctx)
{
	total += index;
	return 0;
}

static long elem_cb(void *map, __u32 *key, __u64 *val, void *ctx)
{
	total += *val;
	return 0;
}

SEC("xdp")
int xdp_first(void *ctx)
{
	return middle(bpf_ktime_get_ns()) + global_helper(1);
}

SEC("xdp")
int xdp_second(void *ctx)
{
	bpf_loop(10, loop_cb, NULL, 0);
	return leaf(2);
}

SEC("tc")
int tc_prog(void *ctx)
{
	bpf_for_each_map_elem(&values, elem_cb, NULL, 0);
	bpf_loop(3, loop_cb, NULL, 0);
	return global_helper(total);
}

SEC("raw_tp/sys_enter")
int plain(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
