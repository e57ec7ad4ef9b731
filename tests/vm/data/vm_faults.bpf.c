// SPDX-License-Identifier: GPL-2.0
/* Programs the verifier would refuse, for the VM's run-time checks: unchecked packet reads
 * outside [data_meta, data_end) and spin lock misuse.  Each faulting line is unique so a test
 * can find it in the fault message. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct counter {
	struct bpf_spin_lock lock;
	__u32 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

SEC("xdp")
int xdp_past_end(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[100];
}

SEC("xdp")
int xdp_headroom(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[-20];
}

SEC("xdp")
int xdp_last_byte(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;

	return end[-1] + data[0];
}

SEC("xdp")
int xdp_after_head(struct xdp_md *ctx)
{
	unsigned char *old;

	old = (void *)(long)ctx->data;
	if (bpf_xdp_adjust_head(ctx, 14))
		return -1;
	return old[0];
}

SEC("xdp")
int xdp_after_tail(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	long len = (long)ctx->data_end - (long)ctx->data;

	if (bpf_xdp_adjust_tail(ctx, -4))
		return -1;
	data = (void *)(long)ctx->data;
	return data[len - 1];
}

SEC("xdp")
int xdp_meta_read(struct xdp_md *ctx)
{
	unsigned char *meta;

	if (bpf_xdp_adjust_meta(ctx, -4))
		return -1;
	meta = (void *)(long)ctx->data_meta;
	meta[0] = 7;
	return meta[0];
}

SEC("xdp")
int xdp_before_meta(struct xdp_md *ctx)
{
	unsigned char *meta;

	if (bpf_xdp_adjust_meta(ctx, -4))
		return -1;
	meta = (void *)(long)ctx->data_meta;
	return meta[-1];
}

SEC("tc")
int tc_past_end(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;

	return data[100];
}

SEC("tc")
int tc_before_data(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;

	return data[-1];
}

static struct counter *counter(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&counters, &key);
}

SEC("xdp")
int lock_and_count(struct xdp_md *ctx)
{
	struct counter *c = counter();
	__u32 seen;

	if (!c)
		return -1;
	bpf_spin_lock(&c->lock);
	seen = c->lock.val;
	c->value++;
	bpf_spin_unlock(&c->lock);
	return seen;
}

SEC("xdp")
int lock_twice(struct xdp_md *ctx)
{
	struct counter *c = counter();

	if (!c)
		return -1;
	bpf_spin_lock(&c->lock);
	bpf_spin_lock(&c->lock);
	bpf_spin_unlock(&c->lock);
	return 0;
}

SEC("xdp")
int unlock_unlocked(struct xdp_md *ctx)
{
	struct counter *c = counter();

	if (!c)
		return -1;
	bpf_spin_unlock(&c->lock);
	return 0;
}

SEC("xdp")
int exit_locked(struct xdp_md *ctx)
{
	struct counter *c = counter();

	if (!c)
		return -1;
	bpf_spin_lock(&c->lock);
	return 0;
}

SEC("xdp")
int helper_while_locked(struct xdp_md *ctx)
{
	struct counter *c = counter();

	if (!c)
		return -1;
	bpf_spin_lock(&c->lock);
	c->value = bpf_ktime_get_ns();
	bpf_spin_unlock(&c->lock);
	return 0;
}
