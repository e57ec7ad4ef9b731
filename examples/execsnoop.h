/* SPDX-License-Identifier: Apache-2.0 */
/* One execve() call as seen by execsnoop.bpf.c; shared with the reader. */
#ifndef PYBPF_EXAMPLE_EXECSNOOP_H
#define PYBPF_EXAMPLE_EXECSNOOP_H

#define EXECSNOOP_COMM_LEN 16
#define EXECSNOOP_FILENAME_LEN 256

struct exec_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[EXECSNOOP_COMM_LEN];
	char filename[EXECSNOOP_FILENAME_LEN];
};

#endif /* PYBPF_EXAMPLE_EXECSNOOP_H */
