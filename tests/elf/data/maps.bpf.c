#include "common.h"

struct event {
	__u32 pid;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct event);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events_by_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NUMA_NODE);
	__uint(numa_node, 1);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 100);
	__type(value, __u32);
	__uint(map_extra, 3);
} bloom SEC(".maps");

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 32);
		__type(key, __u64);
		__type(value, __u8);
	});
} outer_hash SEC(".maps");

int tail_one(void *ctx);
int tail_two(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [1] = (void *)&tail_one, [3] = (void *)&tail_two },
};

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 128,
	.map_flags = 0,
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 2,
	.map_flags = BPF_F_RDONLY_PROG,
};

SEC("socket")
int tail_one(void *ctx)
{
	return 1;
}

SEC("socket")
int tail_two(void *ctx)
{
	return 2;
}

SEC("tp/syscalls/sys_enter_openat")
int use_maps(void *ctx)
{
	__u32 key = 0;
	struct event *e = bpf_map_lookup_elem(&events_by_pid, &key);
	__u64 *c = bpf_map_lookup_elem(&counters, &key);
	void *inner = bpf_map_lookup_elem(&outer, &key);
	if (e && c) {
		*c += e->ts;
		bpf_ringbuf_output(&ringbuf, e, sizeof(*e), 0);
	}
	if (inner)
		bpf_map_lookup_elem(inner, &key);
	bpf_map_lookup_elem(&lru, &key);
	bpf_map_lookup_elem(&outer_hash, &key);
	bpf_map_lookup_elem(&bloom, &key);
	bpf_map_lookup_elem(&legacy_hash, &key);
	bpf_map_lookup_elem(&legacy_array, &key);
	bpf_tail_call(ctx, &jump_table, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 _version SEC("version") = 0x060c00;
