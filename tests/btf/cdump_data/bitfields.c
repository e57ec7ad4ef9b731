/* Bitfields in every shape the layout code has to reproduce. */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

enum colour { RED, GREEN, BLUE };

struct flags {
	u32 a: 1;
	u32 b: 3;
	u32 : 0;
	u32 c: 7;
	u8 d: 2;
	_Bool e: 1;
	enum colour f: 2;
	u64 g: 40;
	u64 h: 24;
	int tail;
};

struct straddle {
	char c;
	u64 wide: 60;
	u8 small: 4;
	short s: 9;
	long long big: 63;
	char after;
};

struct only_bits {
	int x: 5;
	int y: 27;
	int z: 17;
};

struct gap_before_bits {
	char c;
	long pad_ahead;
	unsigned int lo: 4;
	unsigned int : 12;
	unsigned int hi: 4;
};

union bits_union {
	u32 word;
	struct {
		u32 low: 16;
		u32 high: 16;
	};
	u8 nibble: 4;
};

struct flags g_flags;
struct straddle g_straddle;
struct only_bits g_only_bits;
struct gap_before_bits g_gap;
union bits_union g_bits_union;
