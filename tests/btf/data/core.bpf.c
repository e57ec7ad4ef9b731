/* CO-RE relocations of every kind, two program sections and a subprogram, for .BTF.ext tests. */
#define SEC(name) __attribute__((section(name), used))
#define __pai __attribute__((preserve_access_index))

struct task_like {
	int pid;
	int tgid;
	unsigned int flags : 3;
	signed int prio : 5;
	struct task_like *parent;
	char comm[16];
} __pai;

enum state_like { RUNNING = 0, SLEEPING = 1, DEAD = 16 };
typedef struct task_like task_t;

static __attribute__((noinline)) int field_reads(struct task_like *t)
{
	int r = 0;
	r += __builtin_preserve_field_info(t->pid, 0);
	r += __builtin_preserve_field_info(t->tgid, 1);
	r += __builtin_preserve_field_info(t->comm, 2);
	r += __builtin_preserve_field_info(t->prio, 3);
	r += __builtin_preserve_field_info(t->flags, 4);
	r += __builtin_preserve_field_info(t->flags, 5);
	return r;
}

SEC("tracepoint/sched/sched_switch")
int fields(void *ctx)
{
	struct task_like *t = ctx;
	return field_reads(t) + t->parent->tgid;
}

SEC("raw_tracepoint/sys_enter")
int types(void *ctx)
{
	int r = 0;
	r += __builtin_btf_type_id(*(struct task_like *)0, 0);
	r += __builtin_btf_type_id(*(struct task_like *)0, 1);
	r += __builtin_preserve_type_info(*(task_t *)0, 0);
	r += __builtin_preserve_type_info(*(struct task_like *)0, 1);
	r += __builtin_preserve_type_info(*(struct task_like *)0, 2);
	r += __builtin_preserve_enum_value(*(typeof(enum state_like) *)SLEEPING, 0);
	r += __builtin_preserve_enum_value(*(typeof(enum state_like) *)DEAD, 1);
	return r;
}

char LICENSE[] SEC("license") = "GPL";
