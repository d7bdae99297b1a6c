// The host CPU as a test oracle (x86-64 Linux only): runs straight-line instruction bytes with given
// registers, flags and memory, and prints what the CPU left: the sixteen registers, rflags, a hash of
// each memory region, and for a fault the trap number, error code, cr2 and rip from the signal
// context. Used by tests/isa-string.test.ts and tests/isa-misc.test.ts through string-oracle.ts,
// which compiles it with gcc at test time.
//
// Input on stdin, one directive a line, numbers in hex:
//   case NAME | code BYTES | reg INDEX VALUE | flags VALUE | region ADDR LEN PROT SEED | poke ADDR BYTES | end
// Each case runs in a forked child (so regions and faults stay inside it) and prints one JSON line.
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x400000UL
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

__attribute__((used)) uint64_t g_in[17]; // rax..r15 in encoding order, then rflags
__attribute__((used)) uint64_t g_out[17];
__attribute__((used)) uint64_t g_saved_rsp;
__attribute__((used)) uint64_t g_code = CODE_ADDR;
void run_case(void);
void ret_stub(void);

__asm__(
    ".intel_syntax noprefix\n"
    ".text\n"
    ".globl run_case\n"
    "run_case:\n"
    "  push rbx\n  push rbp\n  push r12\n  push r13\n  push r14\n  push r15\n"
    "  mov [rip+g_saved_rsp], rsp\n"
    "  push qword ptr [rip+g_in+128]\n"
    "  popfq\n"
    "  mov rax, [rip+g_in+0]\n  mov rcx, [rip+g_in+8]\n  mov rdx, [rip+g_in+16]\n  mov rbx, [rip+g_in+24]\n"
    "  mov rbp, [rip+g_in+40]\n  mov rsi, [rip+g_in+48]\n  mov rdi, [rip+g_in+56]\n"
    "  mov r8, [rip+g_in+64]\n  mov r9, [rip+g_in+72]\n  mov r10, [rip+g_in+80]\n  mov r11, [rip+g_in+88]\n"
    "  mov r12, [rip+g_in+96]\n  mov r13, [rip+g_in+104]\n  mov r14, [rip+g_in+112]\n  mov r15, [rip+g_in+120]\n"
    "  mov rsp, [rip+g_in+32]\n"
    "  jmp qword ptr [rip+g_code]\n"
    ".globl ret_stub\n"
    "ret_stub:\n"
    "  mov [rip+g_out+0], rax\n  mov [rip+g_out+8], rcx\n  mov [rip+g_out+16], rdx\n  mov [rip+g_out+24], rbx\n"
    "  mov [rip+g_out+32], rsp\n  mov [rip+g_out+40], rbp\n  mov [rip+g_out+48], rsi\n  mov [rip+g_out+56], rdi\n"
    "  mov [rip+g_out+64], r8\n  mov [rip+g_out+72], r9\n  mov [rip+g_out+80], r10\n  mov [rip+g_out+88], r11\n"
    "  mov [rip+g_out+96], r12\n  mov [rip+g_out+104], r13\n  mov [rip+g_out+112], r14\n  mov [rip+g_out+120], r15\n"
    "  mov rsp, [rip+g_saved_rsp]\n"
    "  pushfq\n"
    "  pop qword ptr [rip+g_out+128]\n"
    "  push 0x202\n"
    "  popfq\n"
    "  pop r15\n  pop r14\n  pop r13\n  pop r12\n  pop rbp\n  pop rbx\n"
    "  ret\n"
    ".att_syntax prefix\n");

static sigjmp_buf g_env;
static int g_sig;
static uint64_t g_trapno, g_err, g_cr2, g_rip;

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  __asm__ volatile("push $0x202\n\tpopfq" ::: "cc", "memory"); // clear AC (and DF) before anything else
  greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
  static const int order[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  for (int i = 0; i < 16; i++) g_out[i] = (uint64_t)g[order[i]];
  g_out[16] = (uint64_t)g[REG_EFL];
  g_sig = sig;
  g_trapno = (uint64_t)g[REG_TRAPNO];
  g_err = (uint64_t)g[REG_ERR];
  g_cr2 = (uint64_t)g[REG_CR2];
  g_rip = (uint64_t)g[REG_RIP];
  siglongjmp(g_env, 1);
}

static unsigned pattern(unsigned seed, unsigned i) {
  return seed ? ((uint32_t)((i + seed * 65536u) * 0x9e3779b1u) >> 24) : 0;
}

struct region { uint64_t addr, len; int prot; unsigned seed; };
struct poke { uint64_t addr; int n; unsigned char bytes[256]; };

static int hexbytes(const char *s, unsigned char *out, int max) {
  int n = 0;
  while (s[0] && s[1] && n < max) {
    if (s[0] == ' ' || s[0] == '\n') { s++; continue; }
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1) break;
    out[n++] = (unsigned char)v;
    s += 2;
  }
  return n;
}

static void run_child(const char *name, unsigned char *code, int ncode, struct region *rg, int nrg, struct poke *pk, int npk) {
  static char altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  int sigs[] = {SIGSEGV, SIGBUS, SIGTRAP, SIGILL, SIGFPE};
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, 0);

  unsigned char *cp = mmap((void *)CODE_ADDR, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (cp != (void *)CODE_ADDR) { fprintf(stderr, "%s: cannot map code\n", name); exit(2); }
  memcpy(cp, code, ncode);
  // jmp qword ptr [rip+disp] to an aligned slot holding ret_stub's address (aligned: the case may
  // have set AC, and a misaligned load would then raise #AC)
  int32_t disp = 4088 - (ncode + 6);
  unsigned char jmp[6] = {0xff, 0x25};
  memcpy(jmp + 2, &disp, 4);
  memcpy(cp + ncode, jmp, 6);
  uint64_t stub = (uint64_t)(uintptr_t)ret_stub;
  memcpy(cp + 4088, &stub, 8);
  mprotect(cp, 4096, PROT_READ | PROT_EXEC);

  for (int i = 0; i < nrg; i++) {
    unsigned char *p = mmap((void *)rg[i].addr, rg[i].len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)rg[i].addr) { fprintf(stderr, "%s: cannot map %lx\n", name, (unsigned long)rg[i].addr); exit(2); }
    for (uint64_t j = 0; j < rg[i].len; j++) p[j] = (unsigned char)pattern(rg[i].seed, (unsigned)j);
  }
  for (int i = 0; i < npk; i++) memcpy((void *)pk[i].addr, pk[i].bytes, pk[i].n);
  for (int i = 0; i < nrg; i++) mprotect((void *)rg[i].addr, rg[i].len, rg[i].prot);

  if (sigsetjmp(g_env, 1) == 0) {
    run_case();
    g_sig = 0;
  }
  __asm__ volatile("push $0x202\n\tpopfq" ::: "cc", "memory");

  printf("{\"name\":\"%s\",\"sig\":%d,\"trapno\":%lu,\"err\":%lu,\"cr2\":\"%lx\",\"rip\":\"%lx\",\"regs\":[", name, g_sig,
         (unsigned long)g_trapno, (unsigned long)g_err, (unsigned long)g_cr2, (unsigned long)g_rip);
  for (int i = 0; i < 16; i++) printf("%s\"%lx\"", i ? "," : "", (unsigned long)g_out[i]);
  printf("],\"rflags\":\"%lx\",\"mem\":[", (unsigned long)g_out[16]);
  for (int i = 0; i < nrg; i++) {
    mprotect((void *)rg[i].addr, rg[i].len, PROT_READ);
    uint32_t h = 2166136261u;
    const unsigned char *p = (const unsigned char *)rg[i].addr;
    for (uint64_t j = 0; j < rg[i].len; j++) h = (h ^ p[j]) * 16777619u;
    printf("%s\"%08x\"", i ? "," : "", h);
  }
  printf("]}\n");
  fflush(stdout);
  _exit(0);
}

int main(void) {
  static char line[8192], name[256];
  static unsigned char code[4000];
  static struct region rg[16];
  static struct poke pk[64];
  int ncode = 0, nrg = 0, npk = 0;
  while (fgets(line, sizeof line, stdin)) {
    unsigned long a, b;
    int i;
    unsigned s;
    if (sscanf(line, "case %255s", name) == 1) {
      ncode = nrg = npk = 0;
      memset(g_in, 0, sizeof g_in);
      memset(g_out, 0, sizeof g_out);
      g_in[16] = 0x202;
    } else if (strncmp(line, "code ", 5) == 0) {
      ncode = hexbytes(line + 5, code, sizeof code);
    } else if (sscanf(line, "reg %d %lx", &i, &a) == 2 && i >= 0 && i < 16) {
      g_in[i] = a;
    } else if (sscanf(line, "flags %lx", &a) == 1) {
      g_in[16] = a;
    } else if (sscanf(line, "region %lx %lx %d %x", &a, &b, &i, &s) == 4 && nrg < 16) {
      rg[nrg++] = (struct region){a, b, i, s};
    } else if (sscanf(line, "poke %lx", &a) == 1 && npk < 64) {
      pk[npk].addr = a;
      const char *p = strchr(line + 5, ' ');
      pk[npk].n = p ? hexbytes(p + 1, pk[npk].bytes, sizeof pk[npk].bytes) : 0;
      npk++;
    } else if (strncmp(line, "end", 3) == 0) {
      fflush(stdout);
      pid_t pid = fork();
      if (pid == 0) run_child(name, code, ncode, rg, nrg, pk, npk);
      int st;
      waitpid(pid, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("{\"name\":\"%s\",\"error\":\"child status %d\"}\n", name, st);
    }
  }
  return 0;
}
