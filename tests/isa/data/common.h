/* Minimal declarations so the test programs need no kernel or libbpf headers. */
#define SEC(name) __attribute__((section(name), used))
typedef unsigned long long u64;
typedef unsigned int u32;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
