#include "common.h"

/* A BTF-defined array map, spelled out without libbpf's __uint/__type macros. */
struct {
	int (*type)[2];
	int (*max_entries)[16];
	u32 *key;
	u64 *value;
} counts SEC(".maps");

char _license[] SEC("license") = "GPL";

static __attribute__((noinline)) int square(int x)
{
	return x * x + (int)bpf_ktime_get_ns();
}

SEC("socket")
int calls(void *ctx)
{
	u32 key = 3;
	u64 *value = bpf_map_lookup_elem(&counts, &key);
	char fmt[] = "v=%d\n";
	if (!value)
		return square(2);
	bpf_trace_printk(fmt, sizeof(fmt), *value);
	return square((int)*value);
}
