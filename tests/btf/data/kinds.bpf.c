/* Exercises every BTF kind the compiler can emit, for the BTF parser/dump tests. */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef int s32;
typedef long long s64;
typedef _Bool bool;

#define SEC(name) __attribute__((section(name), used))
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

enum color { RED, GREEN = 5, BLUE = -3 };
enum big { SMALL = 1, HUGE = 0x123456789aULL };
enum ucolor { U0 = 0, UMAX = 0xffffffffu };

struct undefined_struct;
union undefined_union;

struct bits {
	u8 a : 3;
	u8 b : 5;
	u16 c : 9;
	s32 d : 7;
	u64 e : 40;
	u32 plain;
	bool flag : 1;
	enum color col : 4;
};

struct packed_thing {
	u8 x;
	u32 y;
	u16 z;
} __attribute__((packed));

struct nested {
	int kind __tag("nested_kind");
	union {
		struct {
			u32 lo;
			u32 hi;
		};
		u64 whole;
	};
	struct {
		char name[16];
		const volatile int cv;
	} inner;
	float f;
	double d;
	long double ld;
	struct undefined_struct *fwd;
	union undefined_union *fwdu;
	int __user *uptr;
	const int __user *__attribute__((btf_type_tag("percpu"))) *uptr2;
	void (*callback)(int, const char *restrict, ...);
	int matrix[3][4];
	char *strs[2];
	enum big bigval;
	enum ucolor ucol;
	struct bits bits;
	struct packed_thing packed;
	signed char sc;
	unsigned char uc;
	short sh;
	unsigned long ul;
	__int128 wide;
	unsigned __int128 uwide;
} __tag("nested_struct");

struct {
	__uint(type, 1);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, struct nested);
} table SEC(".maps");

int global_counter = 3;
const volatile u64 rodata_value = 42;
static volatile char bss_buf[64];
float global_float = 1.5f;
struct nested global_nested;
enum color global_color;
enum big global_big;
extern int extern_var __attribute__((weak));

static __attribute__((noinline)) int helper(int *restrict p __tag("param_tag"), const char *restrict q)
{
	return *p + q[0];
}

__attribute__((noinline)) int global_func(struct nested *n __tag("arg"), struct bits *b) __tag("func_tag")
{
	int x = n->kind + b->d;
	return helper(&x, n->inner.name) + global_counter;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int prog(void *ctx)
{
	bss_buf[0] = (char)rodata_value;
	*(volatile float *)&global_float = global_float;
	return global_func(&global_nested, &global_nested.bits) + global_color + (int)global_big +
	       (extern_var ? 1 : 0);
}

char LICENSE[] SEC("license") = "GPL";
