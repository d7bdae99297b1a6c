// Native oracle for the SSE tests: runs one instruction on the host CPU from a given state and prints
// the state after it (or after the fault it raised). Compiled by tests/oracle-sse/oracle.ts at test time.
//
// stdin, one case per line (hex fields separated by spaces):
//   code  mxcsr  gpr0..gpr15  xmm0..xmm15  memoff  mem
// gpr values are numbers; xmm values and `mem` are bytes in memory order; `mem` is copied to
// DATA + memoff (DATA = 0x600000, 0x2000 bytes mapped, the page after it unmapped, as in
// tests/helpers/machine.ts). rsp (gpr4) is ignored: the instruction must not use it.
// stdout, one line per case:
//   status  gpr0..gpr15  xmm0..xmm15  mxcsr  mem
// status: "ok", or "trap:<vector>:<fault address>" (the state is then the one the signal handler saw).
// Before every case the x87/SSE state is reset with fxrstor64 of an FNINIT-like image.
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

struct state {
  uint8_t xmm[16][16]; // 0
  uint64_t gpr[16];    // 256
  uint32_t mxcsr;      // 384
  uint32_t pad[3];
} __attribute__((aligned(16)));

struct state st;
struct state *g_state = &st;
void *g_code;
uint64_t g_tmp;
uint8_t reset_area[512] __attribute__((aligned(16)));

void run_case(void);
__asm__(
    ".text\n.globl run_case\nrun_case:\n"
    "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
    "fxrstor64 reset_area(%rip)\n"
    "mov g_state(%rip), %rax\n"
    "ldmxcsr 384(%rax)\n"
    "movdqu 0(%rax), %xmm0\nmovdqu 16(%rax), %xmm1\nmovdqu 32(%rax), %xmm2\nmovdqu 48(%rax), %xmm3\n"
    "movdqu 64(%rax), %xmm4\nmovdqu 80(%rax), %xmm5\nmovdqu 96(%rax), %xmm6\nmovdqu 112(%rax), %xmm7\n"
    "movdqu 128(%rax), %xmm8\nmovdqu 144(%rax), %xmm9\nmovdqu 160(%rax), %xmm10\nmovdqu 176(%rax), %xmm11\n"
    "movdqu 192(%rax), %xmm12\nmovdqu 208(%rax), %xmm13\nmovdqu 224(%rax), %xmm14\nmovdqu 240(%rax), %xmm15\n"
    "mov 264(%rax), %rcx\nmov 272(%rax), %rdx\nmov 280(%rax), %rbx\nmov 296(%rax), %rbp\n"
    "mov 304(%rax), %rsi\nmov 312(%rax), %rdi\nmov 320(%rax), %r8\nmov 328(%rax), %r9\n"
    "mov 336(%rax), %r10\nmov 344(%rax), %r11\nmov 352(%rax), %r12\nmov 360(%rax), %r13\n"
    "mov 368(%rax), %r14\nmov 376(%rax), %r15\nmov 256(%rax), %rax\n"
    "call *g_code(%rip)\n"
    "mov %rax, g_tmp(%rip)\nmov g_state(%rip), %rax\n"
    "mov %rcx, 264(%rax)\nmov %rdx, 272(%rax)\nmov %rbx, 280(%rax)\nmov %rbp, 296(%rax)\n"
    "mov %rsi, 304(%rax)\nmov %rdi, 312(%rax)\nmov %r8, 320(%rax)\nmov %r9, 328(%rax)\n"
    "mov %r10, 336(%rax)\nmov %r11, 344(%rax)\nmov %r12, 352(%rax)\nmov %r13, 360(%rax)\n"
    "mov %r14, 368(%rax)\nmov %r15, 376(%rax)\nmov g_tmp(%rip), %rcx\nmov %rcx, 256(%rax)\n"
    "movdqu %xmm0, 0(%rax)\nmovdqu %xmm1, 16(%rax)\nmovdqu %xmm2, 32(%rax)\nmovdqu %xmm3, 48(%rax)\n"
    "movdqu %xmm4, 64(%rax)\nmovdqu %xmm5, 80(%rax)\nmovdqu %xmm6, 96(%rax)\nmovdqu %xmm7, 112(%rax)\n"
    "movdqu %xmm8, 128(%rax)\nmovdqu %xmm9, 144(%rax)\nmovdqu %xmm10, 160(%rax)\nmovdqu %xmm11, 176(%rax)\n"
    "movdqu %xmm12, 192(%rax)\nmovdqu %xmm13, 208(%rax)\nmovdqu %xmm14, 224(%rax)\nmovdqu %xmm15, 240(%rax)\n"
    "stmxcsr 384(%rax)\n"
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
  for (int i = 0; i < 16; i++) st.gpr[i] = uc->uc_mcontext.gregs[GREG[i]];
  memcpy(st.xmm, uc->uc_mcontext.fpregs->_xmm, 256);
  st.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
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

int main(void) {
  uint8_t *data = mmap((void *)DATA, DATA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (data != (uint8_t *)DATA) { perror("mmap data"); return 2; }
  munmap((void *)(DATA + DATA_LEN), 0x1000);
  uint8_t *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) { perror("mmap code"); return 2; }
  g_code = code;
  reset_area[0] = 0x7f; reset_area[1] = 0x03;          // FCW 0x037F
  *(uint32_t *)(reset_area + 24) = 0x1f80;             // MXCSR
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
    char *tok[40];
    int nt = 0;
    for (char *p = strtok(line, " \n"); p && nt < 40; p = strtok(0, " \n")) tok[nt++] = p;
    if (nt != 36) { fprintf(stderr, "bad line: %d fields\n", nt); return 2; }
    size_t clen = unhex(tok[0], code);
    code[clen] = 0xc3;
    memset(&st, 0, sizeof st);
    st.mxcsr = strtoul(tok[1], 0, 16);
    for (int i = 0; i < 16; i++) st.gpr[i] = strtoull(tok[2 + i], 0, 16);
    for (int i = 0; i < 16; i++) unhex(tok[18 + i], st.xmm[i]);
    unsigned long off = strtoul(tok[34], 0, 16);
    size_t mlen = strcmp(tok[35], "-") ? unhex(tok[35], mem) : 0;
    memset(data, 0, DATA_LEN);
    memcpy(data + off, mem, mlen);
    trapno = -1;
    if (sigsetjmp(jb, 1) == 0) run_case();
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    mx = 0x1f80;
    __asm__ volatile("ldmxcsr %0" : : "m"(mx));
    if (trapno < 0) printf("ok");
    else printf("trap:%ld:%lx", trapno, (unsigned long)faddr);
    for (int i = 0; i < 16; i++) printf(" %lx", (unsigned long)st.gpr[i]);
    for (int i = 0; i < 16; i++) { putchar(' '); puthex(st.xmm[i], 16); }
    printf(" %x ", st.mxcsr);
    if (mlen) puthex(data + off, mlen); else putchar('-');
    putchar('\n');
  }
  return 0;
}
