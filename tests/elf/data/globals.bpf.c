#include "common.h"

enum mode { MODE_OFF = 0, MODE_FAST = 1, MODE_SLOW = 7 };

const volatile __u64 min_duration_ns = 500;
const volatile __s8 offset_s8 = -3;
const volatile bool verbose = true;
const volatile enum mode mode = MODE_FAST;
const volatile char comm_filter[16] = "bash";
const volatile __u32 small_u32 = 42;
const volatile __u16 pair[2] = {1, 2};

__u64 hits = 7;
__u32 data_array[4] = {1, 2, 3, 4};
__u64 zeroed;
__u32 bss_counter;

__u32 custom_data SEC(".data.custom") = 0xdeadbeef;
const volatile __u32 custom_ro SEC(".rodata.config") = 99;

static volatile __u32 static_data = 5;

SEC("xdp")
int read_globals(void *ctx)
{
	if (min_duration_ns > 1000 && verbose && mode == MODE_SLOW)
		return comm_filter[0] + offset_s8 + pair[1];
	hits++;
	zeroed += data_array[bss_counter & 3];
	bss_counter++;
	custom_data++;
	static_data++;
	return custom_ro + small_u32;
}

char LICENSE[] SEC("license") = "GPL";
