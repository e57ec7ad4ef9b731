/* Anonymous structs, unions and enums nested inside named ones. */
enum { TOP_A = 1, TOP_B = 2 };

struct event {
	int kind;
	union {
		struct {
			int pid;
			int tid;
		} task;
		struct {
			unsigned short sport;
			unsigned short dport;
			union {
				unsigned int v4;
				unsigned char v6[16];
			};
		} net;
		long raw[3];
	};
	struct {
		enum { MODE_OFF, MODE_ON = 5, MODE_AUTO } mode;
		struct {
			char deep;
			int deeper[2][3];
		} nested;
	} settings;
	union {
		int a;
		float b;
	} arr_of_anon[2];
	struct {
		int only_ptr;
	} *ptr_to_anon;
};

struct list_node {
	struct list_node *next;
	struct list_node **pprev;
	struct {
		struct list_node *first;
	} head;
};

struct a_first;
struct b_second {
	struct a_first *back;
	int v;
};
struct a_first {
	struct b_second by_value;
	struct b_second *ptr;
};

struct event g_event;
struct list_node g_node;
struct a_first g_a;
int g_top = TOP_A;
