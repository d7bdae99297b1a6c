/*
 * The "Linux" ELF note, as in arch/x86/entry/vdso/vdso-note.S: type 0, descriptor LINUX_VERSION_CODE.
 * Older glibc read the kernel version from it. colonel reports 6.12.0; keep it in step with uname.
 */
#define LINUX_VERSION_CODE ((6 << 16) + (12 << 8) + 0)

	.section .note.Linux, "a", @note
	.balign 4
	.long 2f - 1f		/* namesz */
	.long 4f - 3f		/* descsz */
	.long 0			/* type */
1:	.asciz "Linux"
2:	.balign 4
3:	.long LINUX_VERSION_CODE
4:	.balign 4

	.section .note.GNU-stack, "", @progbits
