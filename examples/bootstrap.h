/* SPDX-License-Identifier: Apache-2.0 */
/* The record bootstrap.bpf.c sends through its ring buffer; shared with the reader. */
#ifndef PYBPF_EXAMPLE_BOOTSTRAP_H
#define PYBPF_EXAMPLE_BOOTSTRAP_H

/* Own names: vmlinux.h already declares TASK_COMM_LEN as an enumerator. */
#define BOOTSTRAP_COMM_LEN 16
#define BOOTSTRAP_FILENAME_LEN 127

struct event {
	int pid;
	int ppid;
	unsigned int exit_code;
	unsigned long long duration_ns;
	char comm[BOOTSTRAP_COMM_LEN];
	char filename[BOOTSTRAP_FILENAME_LEN];
	bool exit_event;
};

#endif /* PYBPF_EXAMPLE_BOOTSTRAP_H */
