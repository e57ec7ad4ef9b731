// SPDX-License-Identifier: GPL-2.0
/* A program the verifier must reject: packet access without a bounds check. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[20] == 0x45 ? XDP_PASS : XDP_DROP; /* no data_end check */
}

SEC("xdp")
int fine(struct xdp_md *ctx)
{
	return XDP_PASS;
}
