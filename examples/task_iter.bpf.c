// SPDX-License-Identifier: Apache-2.0
/*
 * A task iterator: reading the iterator's file (bpftool iter pin, or pybpf's iterator API)
 * prints one line per task.  The program runs once per task and once more at the end with
 * task == NULL, so the header is printed on the first call and nothing on the last.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%8s %8s %-16s %s\n", "TGID", "PID", "COMM", "STATE");
	BPF_SEQ_PRINTF(seq, "%8d %8d %-16s %u\n", task->tgid, task->pid, task->comm, task->__state);
	return 0;
}
