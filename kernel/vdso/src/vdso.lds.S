/*
 * Linker script for colonel's vDSO, after Linux arch/x86/entry/vdso/vdso-layout.lds.S and vdso.lds.S.
 * The Makefile runs it through cpp (with vvar.h) to get vdso.lds.
 *
 * The image is linked at 0 and mapped by the kernel at any page-aligned base B, with [vvar] at
 * B - VVAR_PAGES * PAGE_SIZE. Because code and data keep their distance wherever they land, the code
 * reaches vvar_vdso_data RIP-relatively and the image needs no relocation.
 */
#include "vvar.h"

OUTPUT_FORMAT("elf64-x86-64", "elf64-x86-64", "elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)

SECTIONS
{
	/*
	 * The data is below the code: placing it after the image would leave the non-allocated
	 * sections dangling past the end of the PT_LOAD (Linux's reason too).
	 */
	vvar_start = . - VVAR_PAGES * PAGE_SIZE;
	vvar_vdso_data = vvar_start + VVAR_VDSO_DATA_OFFSET;

	. = SIZEOF_HEADERS;

	.hash		: { *(.hash) }			:text
	.gnu.hash	: { *(.gnu.hash) }
	.dynsym		: { *(.dynsym) }
	.dynstr		: { *(.dynstr) }
	.gnu.version	: { *(.gnu.version) }
	.gnu.version_d	: { *(.gnu.version_d) }
	.gnu.version_r	: { *(.gnu.version_r) }

	.dynamic	: { *(.dynamic) }		:text	:dynamic

	/* Writable data has nowhere to go: mkimage.ts rejects any .data, .bss or .got that appears. */
	.rodata		: { *(.rodata .rodata.*) }	:text

	.note		: { *(.note.*) }		:text	:note

	.text		: { *(.text .text.*) }		:text

	/DISCARD/ : {
		*(.discard) *(.discard.*)
		*(.eh_frame) *(.eh_frame_hdr)
		*(.comment)
	}
}

/*
 * One read+execute PT_LOAD that also covers the ELF and program headers (the kernel maps the file
 * whole), and a read-only PT_DYNAMIC: glibc's ld.so would fault writing into a writable one.
 */
PHDRS
{
	text		PT_LOAD		FLAGS(5) FILEHDR PHDRS;	/* PF_R|PF_X */
	dynamic		PT_DYNAMIC	FLAGS(4);		/* PF_R */
	note		PT_NOTE		FLAGS(4);		/* PF_R */
}

/*
 * The export list. Each function is __vdso_X (what libcs look up) with the weak alias X, all at
 * version LINUX_2.6; everything else is local.
 */
VERSION
{
	LINUX_2.6 {
	global:
		clock_gettime;
		__vdso_clock_gettime;
		gettimeofday;
		__vdso_gettimeofday;
		time;
		__vdso_time;
		getcpu;
		__vdso_getcpu;
		clock_getres;
		__vdso_clock_getres;
		number_of_the_beast;
		__vdso_number_of_the_beast;
	local: *;
	};
}
