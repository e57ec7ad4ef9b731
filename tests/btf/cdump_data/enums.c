/* Enumerations: signed, unsigned, 64-bit, packed and duplicate names. */
enum small { S_A, S_B, S_C };
enum negative { NEG_MIN = -2147483647 - 1, NEG_ONE = -1, NEG_ZERO = 0 };
enum unsigned_big { UB_MAX = 0xffffffffu, UB_ZERO = 0 };
enum wide { W_SMALL = 1, W_BIG = 0x123456789abcdefULL, W_TOP = 0xffffffffffffffffULL };
enum signed_wide { SW_NEG = -5000000000LL, SW_POS = 5000000000LL };
enum __attribute__((packed)) byte_enum { BE_A = 1, BE_B = 200 };
enum __attribute__((packed)) short_enum { SE_A = 1, SE_B = 300 };
enum __attribute__((mode(word))) word_enum { WE_A = 1, WE_B = 2 };

struct uses_enums {
	enum small s;
	enum negative n;
	enum unsigned_big ub;
	enum wide w;
	enum signed_wide sw;
	enum byte_enum be;
	enum short_enum se;
	enum word_enum we;
	char tail;
};

struct uses_enums g_enums;

/* Two different types with one name each: block-scope statics put both into the BTF. */
void *first(void)
{
	static struct dup { int a; } one;
	return &one;
}

void *second(void)
{
	static struct dup { long b; char c; } two;
	return &two;
}

typedef int dup_t;
void *third(void)
{
	typedef long dup_t;
	static dup_t local;
	return &local;
}
dup_t g_dup;
