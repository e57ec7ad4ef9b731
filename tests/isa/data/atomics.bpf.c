#include "common.h"

u64 counter64;
u32 counter32;

SEC("socket")
int atomics(void *ctx)
{
	__sync_fetch_and_add(&counter64, 1);
	__sync_fetch_and_add(&counter32, 2);
	u64 old = __sync_fetch_and_add(&counter64, 3);
	u32 o32 = __sync_fetch_and_or(&counter32, 4);
	__sync_fetch_and_and(&counter64, 5);
	__sync_fetch_and_xor(&counter32, 6);
	old += __sync_fetch_and_xor(&counter64, 7);
	old += __sync_val_compare_and_swap(&counter64, old, 8);
	o32 += __sync_val_compare_and_swap(&counter32, o32, 9);
	old += __sync_lock_test_and_set(&counter64, 10);
	o32 += __sync_lock_test_and_set(&counter32, 11);
	return old + o32;
}
