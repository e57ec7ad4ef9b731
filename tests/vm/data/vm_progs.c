/* Programs the VM tests compile with clang (ziglang) and run: each takes (memory, length). */
typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned char u8;
__attribute__((section("p_fnv"), used)) u64 fnv(u8 *data, u64 len) {
  u64 h = 0xcbf29ce484222325ULL;
  for (u64 i = 0; i < len; i++) { h ^= data[i]; h *= 0x100000001b3ULL; }
  return h;
}
__attribute__((section("p_sort"), used)) u64 sort(u32 *a, u64 len) {
  u64 n = len / 4, swaps = 0;
  for (u64 i = 0; i < n; i++)
    for (u64 j = 0; j + 1 < n - i; j++)
      if (a[j] > a[j + 1]) { u32 t = a[j]; a[j] = a[j + 1]; a[j + 1] = t; swaps++; }
  return swaps;
}
__attribute__((section("p_sdiv"), used)) long long sdivs(long long *a, u64 len) {
  long long acc = 0;
  for (u64 i = 0; i + 1 < len / 8; i++) { long long d = a[i + 1]; if (d) acc += a[i] / d + a[i] % d; }
  return acc;
}
static __attribute__((noinline)) u64 sq(u64 x) { return x * x + 1; }
__attribute__((section("p_call"), used)) u64 callme(u64 *a, u64 len) { return sq(a[0]) + sq(len); }
