#include "common.h"
struct bpf_dummy_ops_state { int val; };
struct bpf_dummy_ops {
	int (*test_1)(struct bpf_dummy_ops_state *cb);
	int (*test_2)(struct bpf_dummy_ops_state *cb, int a1);
	int flags;
};
SEC("struct_ops/test_1") int test_1(struct bpf_dummy_ops_state *s) { return 1; }
SEC("struct_ops.s/test_2") int test_2(struct bpf_dummy_ops_state *s, int a) { return a; }
SEC(".struct_ops") struct bpf_dummy_ops dummy_1 = { .test_1 = (void *)test_1, .flags = 3 };
SEC(".struct_ops.link") struct bpf_dummy_ops dummy_2 = { .test_2 = (void *)test_2 };
char LICENSE[] SEC("license") = "GPL";
