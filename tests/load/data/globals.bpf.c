// SPDX-License-Identifier: GPL-2.0
/* Global data of every kind and kconfig externs, copied to .bss by a test run. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_PYBPF_DOES_NOT_EXIST __kconfig __weak;

const volatile __u32 scale = 1;
const volatile char greeting[8] = "hi";
__u64 calls = 5;

struct {
	__u32 version;
	__u32 bpf_syscall;
	__s32 missing;
	__u32 scaled;
	__u64 calls_seen;
} result;

SEC("socket")
int record(struct __sk_buff *skb)
{
	result.version = LINUX_KERNEL_VERSION;
	result.bpf_syscall = CONFIG_BPF_SYSCALL;
	result.missing = CONFIG_PYBPF_DOES_NOT_EXIST;
	result.scaled = skb->len * scale;
	calls += 1;
	result.calls_seen = calls;
	return greeting[0];
}
