/* Reads of the running kernel's task_struct through a minimal local declaration: the offsets
 * compiled in are this file's, only CO-RE makes them the kernel's. */
#include "core_test.h"

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	unsigned int __state;
} PAI;

/* Before 5.14 the field was `long state`: a flavour describes that kernel. */
struct task_struct___old {
	long state;
} PAI;

/* Local numbering deliberately wrong: only the kernel's values may come out. */
enum bpf_func_id {
	BPF_FUNC_map_lookup_elem = 100,
	BPF_FUNC_pybpf_never_existed = 101,
};

SEC("raw_tp/sys_enter")
int parent_tgid(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, real_parent, tgid);
}

SEC("raw_tp/sys_enter")
int own_pid(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int pid = 0;
	bpf_core_read(&pid, sizeof(pid), &task->pid);
	return pid;
}

SEC("raw_tp/sys_enter")
int kernel_facts(void *ctx)
{
	CHECK(bpf_core_field_exists(struct task_struct, __state));
	CHECK(!bpf_core_field_exists(struct task_struct___old, state));
	CHECK(bpf_core_field_size(struct task_struct, __state) == 4);
	CHECK(bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_map_lookup_elem) == 1);
	CHECK(!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_pybpf_never_existed));
	CHECK(bpf_core_type_exists(struct task_struct));
	CHECK(bpf_core_type_size(struct task_struct) > 1000);
	return 0;
}

SEC("raw_tp/sys_enter")
int task_type_id(void *ctx)
{
	return bpf_core_type_id_kernel(struct task_struct);
}
