/* A traced program with USDT probes written by hand (no <sys/sdt.h>): each probe is a nop with a
 * stapsdt note recording its address, semaphore and argument locations, as GCC formats them. */
#include <stdio.h>
#include <string.h>

#define PYBPF_NOTE(provider, name, sema, argfmt, ...)                              \
	__asm__ __volatile__(                                                     \
		"990: nop\n"                                                      \
		".pushsection .note.stapsdt,\"?\",\"note\"\n"                    \
		".balign 4\n"                                                     \
		".4byte 992f-991f, 994f-993f, 3\n"                                \
		"991: .asciz \"stapsdt\"\n"                                       \
		"992: .balign 4\n"                                                \
		"993: .8byte 990b\n"                                              \
		".8byte _.stapsdt.base\n"                                         \
		".8byte " sema "\n"                                               \
		".asciz \"" provider "\"\n"                                       \
		".asciz \"" name "\"\n"                                           \
		".asciz \"" argfmt "\"\n"                                         \
		"994: .balign 4\n"                                                \
		".popsection\n"                                                   \
		".ifndef _.stapsdt.base\n"                                        \
		".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
		".weak _.stapsdt.base\n"                                          \
		".hidden _.stapsdt.base\n"                                        \
		"_.stapsdt.base: .space 1\n"                                      \
		".size _.stapsdt.base, 1\n"                                       \
		".popsection\n"                                                   \
		".endif\n" ::__VA_ARGS__)

unsigned short pybpf_guarded_semaphore __attribute__((section(".probes"), used));

__attribute__((noinline)) static void fire(signed char c, unsigned short s, int i, long l, int round)
{
	volatile int mem_i = i * 3;
	volatile long mem_l = l - 1;

	/* Registers of four sizes, two memory operands, a negative and a positive constant. */
	PYBPF_NOTE("pybpf", "kinds", "0", "-1@%0 2@%1 -4@%2 -8@%3 -4@%4 -8@%5 -4@%6 8@%7",
		   "r"(c), "r"(s), "r"(i), "r"(l), "m"(mem_i), "m"(mem_l), "n"(-7), "n"(123456789));
	if (pybpf_guarded_semaphore)
		PYBPF_NOTE("pybpf", "guarded", "pybpf_guarded_semaphore", "-4@%0", "r"(round));
}

int main(void)
{
	char line[64];
	int round = 0;

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) && strncmp(line, "quit", 4) != 0) {
		fire(-5, 65000, -100000, -5000000000L, round++);
		printf("fired\n");
		fflush(stdout);
	}
	return 0;
}
