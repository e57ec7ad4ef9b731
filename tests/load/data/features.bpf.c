// SPDX-License-Identifier: GPL-2.0
/* Uses every BTF kind newer than BTF itself, so each sanitiser step has something to replace. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

enum big { BIG = 0x100000000ULL };

struct tagged {
	int x __attribute__((btf_decl_tag("member_tag")));
};

const volatile enum big big_value = BIG;
const volatile float ratio = 1.5f;
int __attribute__((btf_type_tag("user"))) *tagged_ptr;
struct tagged tagged_value;

__attribute__((noinline)) int global_helper(int v)
{
	return v + tagged_value.x;
}

SEC("xdp")
int uses_all(struct xdp_md *ctx)
{
	return global_helper(*(const volatile int *)&ratio & 1) + (big_value == BIG) + (tagged_ptr != 0);
}
