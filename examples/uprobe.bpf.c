// SPDX-License-Identifier: Apache-2.0
/*
 * User-space function tracing.  The bare SEC("uprobe") programs are attached by the loader to a
 * binary and function chosen at run time; the SEC("uprobe/<path>:<function>") forms name their
 * target in the section itself, so attach_all() can find it alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe")
int BPF_UPROBE(uprobe_add, int a, int b)
{
	bpf_printk("add(%d, %d) called\n", a, b);
	return 0;
}

SEC("uretprobe")
int BPF_URETPROBE(uretprobe_add, int ret)
{
	bpf_printk("add() returned %d\n", ret);
	return 0;
}

SEC("uprobe//proc/self/exe:uprobed_sub")
int BPF_UPROBE(uprobe_sub, int a, int b)
{
	bpf_printk("sub(%d, %d) called\n", a, b);
	return 0;
}

SEC("uretprobe//proc/self/exe:uprobed_sub")
int BPF_URETPROBE(uretprobe_sub, int ret)
{
	bpf_printk("sub() returned %d\n", ret);
	return 0;
}
