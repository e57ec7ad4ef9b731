/* Records what the traced program's USDT probes passed, for the attach tests. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>

/* Slots 0..11: arguments of the last "kinds" hit; 12: its argument count; 13: its cookie;
 * 14: hits of "kinds"; 15: argument 0 of the last "guarded" hit; 16: hits of "guarded". */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 17);
	__type(key, __u32);
	__type(value, long);
} results SEC(".maps");

static __always_inline void put(__u32 slot, long value)
{
	long *cell = bpf_map_lookup_elem(&results, &slot);

	if (cell)
		*cell = value;
}

static __always_inline void bump(__u32 slot)
{
	long *cell = bpf_map_lookup_elem(&results, &slot);

	if (cell)
		__sync_fetch_and_add(cell, 1);
}

SEC("usdt")
int on_kinds(struct pt_regs *ctx)
{
	long value;
	int n = bpf_usdt_arg_cnt(ctx);

	for (int i = 0; i < PYBPF_USDT_MAX_ARGS; i++) {
		if (i >= n)
			break;
		if (bpf_usdt_arg(ctx, i, &value) == 0)
			put(i, value);
	}
	put(12, n);
	put(13, bpf_usdt_cookie(ctx));
	bump(14);
	return 0;
}

SEC("usdt")
int BPF_USDT(on_guarded, int round)
{
	put(15, round);
	bump(16);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
