// Native oracle for the floating-point tests (tests/isa-fp.test.ts, tests/isa-x87.test.ts): runs one
// instruction on the host CPU from a given state and prints the state after it, or after the fault it
// raised (as the signal handler saw it). Compiled by tests/vectors/fp-oracle.ts at test time.
//
// stdin, one case per line (hex fields separated by spaces):
//   code  rflags  gpr0..gpr15  fxsave  memoff  mem
// `fxsave` is the first 416 bytes of an FXSAVE64 image (x87 state, MXCSR, xmm0..15), loaded with
// FXRSTOR64, so one field carries the whole x87 and SSE state. gpr values are numbers; `fxsave` and
// `mem` are bytes in memory order; `mem` is copied to DATA + memoff (DATA = 0x600000, 0x2000 bytes,
// the page after it unmapped, as in tests/helpers/machine.ts). rsp (gpr4) is ignored.
// stdout, one line per case:
//   status  rflags  gpr0..gpr15  fxsave  mem
// status: "ok", or "trap:<vector>:<fault address>".
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
#define FX_LEN 416

struct state {
  uint64_t gpr[16]; // 0
  uint64_t rflags;  // 128
} st;
struct state *g_state = &st;
void *g_code;
uint64_t g_tmp, g_tmp2;
uint8_t in_area[512] __attribute__((aligned(16)));
uint8_t out_area[512] __attribute__((aligned(16)));

void run_case(void);
__asm__(
    ".text\n.globl run_case\nrun_case:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "fxrstor64 in_area(%rip)\n"
    "mov g_state(%rip), %rax\n"
    "pushq 128(%rax)\npopfq\n"
    "mov 8(%rax), %rcx\nmov 16(%rax), %rdx\nmov 24(%rax), %rbx\nmov 40(%rax), %rbp\n"
    "mov 48(%rax), %rsi\nmov 56(%rax), %rdi\nmov 64(%rax), %r8\nmov 72(%rax), %r9\n"
    "mov 80(%rax), %r10\nmov 88(%rax), %r11\nmov 96(%rax), %r12\nmov 104(%rax), %r13\n"
    "mov 112(%rax), %r14\nmov 120(%rax), %r15\nmov 0(%rax), %rax\n"
    "call *g_code(%rip)\n"
    "mov %rax, g_tmp(%rip)\n"
    "pushfq\npopq g_tmp2(%rip)\n"
    "fxsave64 out_area(%rip)\n"
    "mov g_state(%rip), %rax\n"
    "mov %rcx, 8(%rax)\nmov %rdx, 16(%rax)\nmov %rbx, 24(%rax)\nmov %rbp, 40(%rax)\n"
    "mov %rsi, 48(%rax)\nmov %rdi, 56(%rax)\nmov %r8, 64(%rax)\nmov %r9, 72(%rax)\n"
    "mov %r10, 80(%rax)\nmov %r11, 88(%rax)\nmov %r12, 96(%rax)\nmov %r13, 104(%rax)\n"
    "mov %r14, 112(%rax)\nmov %r15, 120(%rax)\n"
    "mov g_tmp(%rip), %rcx\nmov %rcx, 0(%rax)\nmov g_tmp2(%rip), %rcx\nmov %rcx, 128(%rax)\n"
    "pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");

static sigjmp_buf jb;
static long trapno;
static uint64_t faddr;
static const int GREG[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                             REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

static void onfault(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig;
  trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
  faddr = (uint64_t)si->si_addr;
  for (int i = 0; i < 16; i++) st.gpr[i] = uc->uc_mcontext.gregs[GREG[i]];
  st.rflags = uc->uc_mcontext.gregs[REG_EFL];
  memcpy(out_area, uc->uc_mcontext.fpregs, FX_LEN);
  siglongjmp(jb, 1);
}

static int hexval(int c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *s, uint8_t *out, size_t max) {
  size_t n = strlen(s) / 2;
  if (n > max) n = max;
  for (size_t i = 0; i < n; i++) out[i] = hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]);
  return n;
}
static void puthex(const uint8_t *p, size_t n) {
  static const char *H = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) { putchar(H[p[i] >> 4]); putchar(H[p[i] & 15]); }
}

int main(void) {
  uint8_t *data = mmap((void *)DATA, DATA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data != (uint8_t *)DATA) { perror("mmap data"); return 2; }
  munmap((void *)(DATA + DATA_LEN), 0x1000);
  uint8_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap code"); return 2; }
  g_code = code;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onfault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGILL, &sa, 0);
  sigaction(SIGFPE, &sa, 0);

  static char line[1 << 16];
  static uint8_t mem[DATA_LEN];
  while (fgets(line, sizeof line, stdin)) {
    char *tok[40];
    int nt = 0;
    for (char *p = strtok(line, " \n"); p && nt < 40; p = strtok(0, " \n")) tok[nt++] = p;
    if (nt != 21) { fprintf(stderr, "bad line: %d fields\n", nt); return 2; }
    size_t clen = unhex(tok[0], code, 4000);
    code[clen] = 0xc3;
    memset(&st, 0, sizeof st);
    st.rflags = (strtoull(tok[1], 0, 16) & 0x8d5) | 2;
    for (int i = 0; i < 16; i++) st.gpr[i] = strtoull(tok[2 + i], 0, 16);
    memset(in_area, 0, sizeof in_area);
    unhex(tok[18], in_area, FX_LEN);
    unsigned long off = strtoul(tok[19], 0, 16);
    size_t mlen = strcmp(tok[20], "-") ? unhex(tok[20], mem, DATA_LEN) : 0;
    memset(data, 0, DATA_LEN);
    memcpy(data + off, mem, mlen);
    trapno = -1;
    if (sigsetjmp(jb, 1) == 0) run_case();
    __asm__ volatile("fninit");
    uint32_t mx = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
    if (trapno < 0) printf("ok");
    else printf("trap:%ld:%lx", trapno, (unsigned long)faddr);
    printf(" %lx", (unsigned long)(st.rflags & 0x8d5));
    for (int i = 0; i < 16; i++) printf(" %lx", (unsigned long)st.gpr[i]);
    putchar(' ');
    puthex(out_area, FX_LEN);
    putchar(' ');
    if (mlen) puthex(data + off, mlen); else putchar('-');
    putchar('\n');
  }
  return 0;
}
