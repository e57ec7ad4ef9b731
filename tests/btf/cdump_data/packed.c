/* Packing and over-alignment: layouts natural alignment would not give. */
struct __attribute__((packed)) packed_hdr {
	char tag;
	int value;
	short port;
	long long stamp;
};

struct inner {
	int x;
	char y;
};

struct __attribute__((packed)) packed_outer {
	char c;
	struct inner in;
	struct packed_hdr hdr;
};

struct __attribute__((packed, aligned(4))) packed_aligned {
	char c;
	int i;
	short s;
};

struct holder {
	char c;
	struct packed_aligned pa;
	char d;
	struct packed_hdr ph[2];
};

struct __attribute__((aligned(64))) cacheline {
	int counter;
};

struct with_aligned_member {
	char c;
	int x __attribute__((aligned(16)));
	struct cacheline line;
	char tail;
};

union __attribute__((aligned(16))) wide_union {
	int i;
	char c[5];
};

struct uses_wide_union {
	char c;
	union wide_union u;
};

union __attribute__((packed)) packed_union {
	int i;
	char c[5];
};

struct uses_packed_union {
	char c;
	union packed_union u;
	short s;
};

struct empty {};

struct trailing_empty {
	int x;
	struct empty e;
	char flex[];
};

struct packed_hdr g_packed_hdr;
struct packed_outer g_packed_outer;
struct holder g_holder;
struct with_aligned_member g_with_aligned;
struct uses_wide_union g_wide;
struct uses_packed_union g_packed_union;
struct trailing_empty g_trailing;
