/* SPDX-License-Identifier: Apache-2.0 */
/* One IPv4 flow sample from sockfilter.bpf.c; shared with the reader. */
#ifndef PYBPF_EXAMPLE_SOCKFILTER_H
#define PYBPF_EXAMPLE_SOCKFILTER_H

struct so_event {
	__be32 src_addr;
	__be32 dst_addr;
	union {
		__be32 ports;
		__be16 port16[2];
	};
	__u32 ip_proto;
	__u32 pkt_type;
	__u32 ifindex;
};

#endif /* PYBPF_EXAMPLE_SOCKFILTER_H */
