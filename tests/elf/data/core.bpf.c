#include "common.h"

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *parent;
} __attribute__((preserve_access_index));

static __noinline int parent_pid(struct task_struct *t)
{
	return t->parent->pid;
}

SEC("tp_btf/sched_process_fork")
int on_fork(struct task_struct *t)
{
	return t->tgid + parent_pid(t) + __builtin_preserve_field_info(t->pid, 2 /* FIELD_EXISTS */);
}

char LICENSE[] SEC("license") = "GPL";
