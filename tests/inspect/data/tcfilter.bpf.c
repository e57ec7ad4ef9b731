// SPDX-License-Identifier: GPL-2.0
/* A classifier for tc(8) to load as a classic cls_bpf filter (it passes every packet). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int insp_tc(struct __sk_buff *skb)
{
	return 0;
}
