#include "common.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern __u32 CONFIG_HZ __kconfig __weak;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern const void bpf_prog_active __ksym;
extern const void missing_ksym __ksym __weak;

struct task_struct;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_rcu_read_lock(void) __ksym __weak;

SEC("tp_btf/sched_switch")
int use_externs(void *ctx)
{
	__u64 v = LINUX_KERNEL_VERSION + CONFIG_HZ;
	if (CONFIG_BPF_SYSCALL)
		v += (__u64)&bpf_prog_active;
	if (&missing_ksym)
		v++;
	if (bpf_rcu_read_lock)
		bpf_rcu_read_lock();
	struct task_struct *t = bpf_task_acquire((struct task_struct *)ctx);
	if (t)
		bpf_task_release(t);
	return v;
}

char LICENSE[] SEC("license") = "GPL";
