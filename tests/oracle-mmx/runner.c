// Native oracle for the MMX tests: runs one instruction on the host CPU from a given state, x87 state
// included, and prints the state after it (or after the fault it raised). Compiled by
// tests/oracle-mmx/oracle.ts at test time. Modelled on tests/oracle-sse/runner.c.
//
// stdin, one case per line (hex fields separated by spaces):
//   code  fcw fsw ftw  r0..r7  mxcsr  gpr0..gpr15  xmm0..xmm15  memoff  mem
// r0..r7 are the x87 physical registers R0..R7 (mm0..mm7 in their low 64 bits) as 20-digit numbers
// (sign/exponent word, then the significand); ftw is FXSAVE's abridged tag byte (bit i: R_i in use).
// gpr values are numbers; xmm values and `mem` are bytes in memory order; `mem` is copied to
// DATA + memoff (DATA = 0x600000, 0x2000 bytes mapped, the page after it unmapped, as in
// tests/helpers/machine.ts). rsp (gpr4) is ignored: the instruction must not use it.
// stdout, one line per case:
//   status  fcw fsw ftw  r0..r7  gpr0..gpr15  xmm0..xmm15  mxcsr  mem
// status: "ok", or "trap:<vector>:<fault address>" (the state is then the one the signal handler saw).
// The whole x87/SSE state is loaded with fxrstor64 and read back with fxsave64.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define DATA 0x600000UL
#define DATA_LEN 0x2000UL

uint64_t gpr[16];
uint8_t fx_in[512] __attribute__((aligned(16)));
uint8_t fx_out[512] __attribute__((aligned(16)));
uint8_t reset_area[512] __attribute__((aligned(16)));
void *g_code;
uint64_t g_tmp;

void run_case(void);
__asm__(
    ".text\n.globl run_case\nrun_case:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "fxrstor64 fx_in(%rip)\n"
    "lea gpr(%rip), %rax\n"
    "mov 8(%rax), %rcx\nmov 16(%rax), %rdx\nmov 24(%rax), %rbx\nmov 40(%rax), %rbp\n"
    "mov 48(%rax), %rsi\nmov 56(%rax), %rdi\nmov 64(%rax), %r8\nmov 72(%rax), %r9\n"
    "mov 80(%rax), %r10\nmov 88(%rax), %r11\nmov 96(%rax), %r12\nmov 104(%rax), %r13\n"
    "mov 112(%rax), %r14\nmov 120(%rax), %r15\nmov 0(%rax), %rax\n"
    "call *g_code(%rip)\n"
    "fxsave64 fx_out(%rip)\n"
    "mov %rax, g_tmp(%rip)\nlea gpr(%rip), %rax\n"
    "mov %rcx, 8(%rax)\nmov %rdx, 16(%rax)\nmov %rbx, 24(%rax)\nmov %rbp, 40(%rax)\n"
    "mov %rsi, 48(%rax)\nmov %rdi, 56(%rax)\nmov %r8, 64(%rax)\nmov %r9, 72(%rax)\n"
    "mov %r10, 80(%rax)\nmov %r11, 88(%rax)\nmov %r12, 96(%rax)\nmov %r13, 104(%rax)\n"
    "mov %r14, 112(%rax)\nmov %r15, 120(%rax)\nmov g_tmp(%rip), %rcx\nmov %rcx, 0(%rax)\n"
    "fxrstor64 reset_area(%rip)\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

static sigjmp_buf jb;
static long trapno;
static uint64_t faddr;
// ucontext gregs index of our gpr i (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15)
static const int GREG[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                             REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void onfault(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig;
  trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  faddr = (uint64_t)si->si_addr;
  for (int i = 0; i < 16; i++) gpr[i] = uc->uc_mcontext.gregs[GREG[i]];
  memcpy(fx_out, uc->uc_mcontext.fpregs, 512);
  siglongjmp(jb, 1);
}

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *s, uint8_t *out) {
  size_t n = strlen(s) / 2;
  for (size_t i = 0; i < n; i++) out[i] = hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]);
  return n;
}
static void puthex(const uint8_t *p, size_t n) {
  static const char *H = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) { putchar(H[p[i] >> 4]); putchar(H[p[i] & 15]); }
}
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static void put16(uint8_t *p, unsigned v) { p[0] = v; p[1] = v >> 8; }

int main(void) {
  uint8_t *data = mmap((void *)DATA, DATA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data != (uint8_t *)DATA) { perror("mmap data"); return 2; }
  munmap((void *)(DATA + DATA_LEN), 0x1000);
  uint8_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap code"); return 2; }
  g_code = code;
  put16(reset_area, 0x037f);
  *(uint32_t *)(reset_area + 24) = 0x1f80;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onfault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGFPE, &sa, 0);

  static char line[1 << 16];
  static uint8_t mem[4096];
  while (fgets(line, sizeof line, stdin)) {
    char *tok[60];
    int nt = 0;
    for (char *p = strtok(line, " \n"); p && nt < 60; p = strtok(0, " \n")) tok[nt++] = p;
    if (nt != 47) { fprintf(stderr, "bad line: %d fields\n", nt); return 2; }
    size_t clen = unhex(tok[0], code);
    code[clen] = 0xc3;
    memset(fx_in, 0, sizeof fx_in);
    unsigned fsw = strtoul(tok[2], 0, 16), top = (fsw >> 11) & 7;
    put16(fx_in, strtoul(tok[1], 0, 16));
    put16(fx_in + 2, fsw);
    fx_in[4] = strtoul(tok[3], 0, 16);
    for (int i = 0; i < 8; i++) {
      const char *r = tok[4 + i];
      if (strlen(r) != 20) { fprintf(stderr, "bad register %s\n", r); return 2; }
      char e[5] = {r[0], r[1], r[2], r[3], 0};
      uint64_t sig = strtoull(r + 4, 0, 16);
      uint8_t *st = fx_in + 32 + 16 * ((i - top) & 7); // R_i is ST((i - TOP) mod 8)
      memcpy(st, &sig, 8);
      put16(st + 8, strtoul(e, 0, 16));
    }
    *(uint32_t *)(fx_in + 24) = strtoul(tok[12], 0, 16);
    for (int i = 0; i < 16; i++) gpr[i] = strtoull(tok[13 + i], 0, 16);
    for (int i = 0; i < 16; i++) unhex(tok[29 + i], fx_in + 160 + 16 * i);
    unsigned long off = strtoul(tok[45], 0, 16);
    size_t mlen = strcmp(tok[46], "-") ? unhex(tok[46], mem) : 0;
    memset(data, 0, DATA_LEN);
    memcpy(data + off, mem, mlen);
    trapno = -1;
    if (sigsetjmp(jb, 1) == 0) run_case();
    __asm__ volatile("fxrstor64 reset_area(%rip)");
    if (trapno < 0) printf("ok");
    else printf("trap:%ld:%lx", trapno, (unsigned long)faddr);
    fsw = get16(fx_out + 2);
    top = (fsw >> 11) & 7;
    printf(" %x %x %x", get16(fx_out), fsw, fx_out[4]);
    for (int i = 0; i < 8; i++) {
      const uint8_t *st = fx_out + 32 + 16 * ((i - top) & 7);
      uint64_t sig;
      memcpy(&sig, st, 8);
      printf(" %04x%016lx", get16(st + 8), (unsigned long)sig);
    }
    for (int i = 0; i < 16; i++) printf(" %lx", (unsigned long)gpr[i]);
    for (int i = 0; i < 16; i++) { putchar(' '); puthex(fx_out + 160 + 16 * i, 16); }
    printf(" %x ", *(uint32_t *)(fx_out + 24));
    if (mlen) puthex(data + off, mlen); else putchar('-');
    putchar('\n');
  }
  return 0;
}
