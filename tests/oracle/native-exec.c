// native-exec: run x86-64 instruction bytes on the real CPU and print what they did, as an oracle for
// colonel's instruction tests (see native.ts, which builds and drives it).
//
// Usage: native-exec CODE_ADDR WINDOW_ADDR [MAP_ADDR:LEN ...]
//   CODE_ADDR    where the instruction bytes are placed (an RWX page mapped at that fixed address, so
//                rip-relative operands and rip values agree with the interpreter's machine)
//   WINDOW_ADDR  a 64-byte memory window, loaded from each case and reported after it
//   MAP_ADDR:LEN further zero-filled read/write regions (hex), e.g. the data and stack pages; the
//                window must lie in one of them. All are re-zeroed before every case.
//
// Input, one case per line (all hex, no 0x):
//   CODE RAX RCX RDX RBX RSP RBP RSI RDI R8 ... R15 RFLAGS MEM
// CODE is the instruction bytes (any number of instructions, falling through to the end), MEM the 64
// window bytes (128 hex digits). rflags: the status flags and DF are loaded; other bits are ignored.
//
// Output, one JSON object per case:
//   {"regs":[16 hex strings],"rflags":"hex","mem":"128 hex","fault":null}
// or, when the code faults, "fault":"DE"|"UD"|"GP"|"PF"|"BP"|"AC"|"SIG<n>", "addr" (si_addr for #PF),
// "rip" (offset of the faulting instruction from CODE_ADDR), and regs/rflags/mem at the fault.
//
// How: a naked trampoline saves the host's callee-saved registers and rsp, loads the sixteen
// registers and rflags from g_in, and jumps to the code; the code ends in `jmp [rip+0]; dq exit`, and
// the exit stub stores every register and rflags into g_out and returns to C. Faults arrive as signals
// on an alternate stack; the handler copies the registers from the ucontext and siglongjmps back.

#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct state {
  uint64_t r[16];
  uint64_t rflags;
};

struct state g_in, g_out;
uint64_t g_host_rsp;
uint64_t g_code;

void oracle_enter(void);
void oracle_exit(void);

// Register order in `struct state`: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 (the encoding order).
__asm__(
    ".text\n"
    ".globl oracle_enter\n"
    ".type oracle_enter,@function\n"
    "oracle_enter:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, g_host_rsp(%rip)\n"
    "  pushq g_in+128(%rip)\n"
    "  popfq\n"
    "  mov g_in+0(%rip), %rax\n"
    "  mov g_in+8(%rip), %rcx\n"
    "  mov g_in+16(%rip), %rdx\n"
    "  mov g_in+24(%rip), %rbx\n"
    "  mov g_in+32(%rip), %rsp\n"
    "  mov g_in+40(%rip), %rbp\n"
    "  mov g_in+48(%rip), %rsi\n"
    "  mov g_in+56(%rip), %rdi\n"
    "  mov g_in+64(%rip), %r8\n"
    "  mov g_in+72(%rip), %r9\n"
    "  mov g_in+80(%rip), %r10\n"
    "  mov g_in+88(%rip), %r11\n"
    "  mov g_in+96(%rip), %r12\n"
    "  mov g_in+104(%rip), %r13\n"
    "  mov g_in+112(%rip), %r14\n"
    "  mov g_in+120(%rip), %r15\n"
    "  jmp *g_code(%rip)\n"
    ".globl oracle_exit\n"
    ".type oracle_exit,@function\n"
    "oracle_exit:\n"
    "  mov %rax, g_out+0(%rip)\n"
    "  mov %rcx, g_out+8(%rip)\n"
    "  mov %rdx, g_out+16(%rip)\n"
    "  mov %rbx, g_out+24(%rip)\n"
    "  mov %rsp, g_out+32(%rip)\n"
    "  mov %rbp, g_out+40(%rip)\n"
    "  mov %rsi, g_out+48(%rip)\n"
    "  mov %rdi, g_out+56(%rip)\n"
    "  mov %r8, g_out+64(%rip)\n"
    "  mov %r9, g_out+72(%rip)\n"
    "  mov %r10, g_out+80(%rip)\n"
    "  mov %r11, g_out+88(%rip)\n"
    "  mov %r12, g_out+96(%rip)\n"
    "  mov %r13, g_out+104(%rip)\n"
    "  mov %r14, g_out+112(%rip)\n"
    "  mov %r15, g_out+120(%rip)\n"
    "  mov g_host_rsp(%rip), %rsp\n"
    "  pushfq\n"
    "  popq g_out+128(%rip)\n"
    "  cld\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");

static sigjmp_buf g_jmp;
static volatile int g_sig;
static volatile int g_code_si;
static volatile uint64_t g_fault_addr, g_fault_rip, g_trapno;

static void on_signal(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = (ucontext_t *)ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  g_sig = sig;
  g_code_si = si->si_code;
  g_fault_addr = (uint64_t)si->si_addr;
  g_fault_rip = (uint64_t)g[REG_RIP];
  g_trapno = (uint64_t)g[REG_TRAPNO];
  g_out.r[0] = g[REG_RAX]; g_out.r[1] = g[REG_RCX]; g_out.r[2] = g[REG_RDX]; g_out.r[3] = g[REG_RBX];
  g_out.r[4] = g[REG_RSP]; g_out.r[5] = g[REG_RBP]; g_out.r[6] = g[REG_RSI]; g_out.r[7] = g[REG_RDI];
  g_out.r[8] = g[REG_R8]; g_out.r[9] = g[REG_R9]; g_out.r[10] = g[REG_R10]; g_out.r[11] = g[REG_R11];
  g_out.r[12] = g[REG_R12]; g_out.r[13] = g[REG_R13]; g_out.r[14] = g[REG_R14]; g_out.r[15] = g[REG_R15];
  g_out.rflags = (uint64_t)g[REG_EFL];
  siglongjmp(g_jmp, 1);
}

static int hexval(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static void die(const char *msg) {
  fprintf(stderr, "native-exec: %s\n", msg);
  exit(2);
}

static void *map_fixed(uint64_t addr, uint64_t len, int prot) {
  void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || (uint64_t)p != addr) {
    fprintf(stderr, "native-exec: cannot map %#lx+%#lx: %s\n", (unsigned long)addr, (unsigned long)len, strerror(errno));
    exit(2);
  }
  return p;
}

#define MAX_MAPS 8
#define MAX_CODE 256

int main(int argc, char **argv) {
  if (argc < 3) die("usage: native-exec CODE_ADDR WINDOW_ADDR [MAP_ADDR:LEN ...]");
  uint64_t code_addr = strtoull(argv[1], NULL, 16);
  uint64_t win = strtoull(argv[2], NULL, 16);
  uint64_t maps[MAX_MAPS][2];
  int nmaps = 0;
  for (int i = 3; i < argc && nmaps < MAX_MAPS; i++) {
    char *colon = strchr(argv[i], ':');
    if (!colon) die("bad map argument");
    maps[nmaps][0] = strtoull(argv[i], NULL, 16);
    maps[nmaps][1] = strtoull(colon + 1, NULL, 16);
    map_fixed(maps[nmaps][0], maps[nmaps][1], PROT_READ | PROT_WRITE);
    nmaps++;
  }
  int win_ok = 0;
  for (int i = 0; i < nmaps; i++)
    if (win >= maps[i][0] && win + 64 <= maps[i][0] + maps[i][1]) win_ok = 1;
  if (!win_ok) die("the window must lie inside a mapped region");
  uint8_t *code = map_fixed(code_addr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);

  static uint8_t altstack[1 << 16];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  static char line[1 << 16];
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  while (fgets(line, sizeof line, stdin)) {
    char *p = line;
    // code bytes
    int n = 0;
    while (*p == ' ') p++;
    while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
      if (n >= MAX_CODE) die("code too long");
      code[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
      p += 2;
    }
    if (n == 0) continue;
    // jmp qword [rip+0]; dq oracle_exit
    code[n] = 0xff; code[n + 1] = 0x25; code[n + 2] = code[n + 3] = code[n + 4] = code[n + 5] = 0;
    uint64_t exit_addr = (uint64_t)&oracle_exit;
    memcpy(code + n + 6, &exit_addr, 8);
    for (int i = 0; i < 17; i++) {
      char *end;
      uint64_t v = strtoull(p, &end, 16);
      if (end == p) die("missing register value");
      p = end;
      if (i < 16) g_in.r[i] = v;
      else g_in.rflags = (v & 0xcd5) | 2; // CF PF AF ZF SF DF OF, bit 1
    }
    uint8_t mem[64];
    while (*p == ' ') p++;
    for (int i = 0; i < 64; i++) {
      int h = hexval(p[0]), l = hexval(p[1]);
      if (h < 0 || l < 0) die("memory window needs 128 hex digits");
      mem[i] = (uint8_t)(h << 4 | l);
      p += 2;
    }
    for (int i = 0; i < nmaps; i++) memset((void *)maps[i][0], 0, maps[i][1]);
    memcpy((void *)win, mem, 64);
    g_code = code_addr;
    g_sig = 0;
    memset(&g_out, 0, sizeof g_out);
    __asm__ volatile("" ::: "memory");
    if (sigsetjmp(g_jmp, 1) == 0) oracle_enter();
    __asm__ volatile("cld" ::: "memory");
    printf("{\"regs\":[");
    for (int i = 0; i < 16; i++) printf("%s\"%lx\"", i ? "," : "", (unsigned long)g_out.r[i]);
    printf("],\"rflags\":\"%lx\",\"mem\":\"", (unsigned long)g_out.rflags);
    for (int i = 0; i < 64; i++) printf("%02x", ((uint8_t *)win)[i]);
    printf("\"");
    if (g_sig == 0) {
      printf(",\"fault\":null}\n");
    } else {
      const char *name;
      char buf[16];
      switch (g_sig) {
        case SIGFPE: name = g_trapno == 0 ? "DE" : g_trapno == 16 ? "MF" : g_trapno == 19 ? "XM" : "FPE"; break;
        case SIGILL: name = "UD"; break;
        case SIGSEGV: name = g_trapno == 14 ? "PF" : "GP"; break;
        case SIGBUS: name = g_trapno == 17 ? "AC" : "GP"; break;
        case SIGTRAP: name = g_trapno == 3 ? "BP" : "DB"; break;
        default: snprintf(buf, sizeof buf, "SIG%d", g_sig); name = buf;
      }
      printf(",\"fault\":\"%s\",\"trapno\":%lu,\"addr\":\"%lx\",\"rip\":%ld}\n", name, (unsigned long)g_trapno,
             (unsigned long)g_fault_addr, (long)(g_fault_rip - code_addr));
    }
  }
  fflush(stdout);
  return 0;
}
