/* Declarators: function pointers, arrays of arrays, qualifiers, typedef chains. */
typedef int int_t;
typedef int_t int2_t;
typedef const int2_t cint_t;
typedef volatile cint_t *vcint_ptr_t;
typedef void (*handler_t)(int, void *);
typedef handler_t handlers_t[4];
typedef int (*binop_t)(int a, int b);
typedef struct opaque opaque_t;
typedef struct named_by_typedef {
	int v;
} named_t;
typedef struct {
	int anon_typedef_field;
} anon_t;

struct ops {
	int (*open)(const char *path, int flags);
	void (*close)(void);
	long (*vararg)(const char *fmt, ...);
	handler_t on_event;
	handlers_t table;
	binop_t ops[2];
	int (*(*getter)(int))(long);
	void (*(*matrix[2][3]))(int);
	int (*ptr_to_array)[8];
	char grid[3][4][5];
	const char *const names[2];
	volatile unsigned long *volatile reg;
	char *restrict buf;
	const volatile int cv;
	vcint_ptr_t p;
	opaque_t *opaque;
	named_t named;
	anon_t anon;
	cint_t constant;
	double d;
	float f;
	__int128 i128;
	unsigned __int128 u128;
	_Bool flag;
	void *(*alloc)(unsigned long size, int node);
	struct ops *(*self)(struct ops *);
};

struct ops g_ops;
named_t g_named;
anon_t g_anon;
int (*g_fp)(struct ops *o, int n);

int use(struct ops *o, handler_t h, int_t n)
{
	return n + (o != 0) + (h != 0);
}
