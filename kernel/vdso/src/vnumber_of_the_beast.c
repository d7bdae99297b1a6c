/*
 * The seed article's own vDSO function ("Creating a vDSO: the Colonel's Other Chicken"): it returns a
 * variable the kernel keeps in the vvar page (vdso_data.vnotb, 666 unless the kernel parameter says
 * otherwise). It reads the page every call, so a kernel that changes vnotb is seen at once: the point
 * of the exercise is data shared by the kernel, not a constant compiled into the image.
 */
#include "vdso.h"

notrace long __vdso_number_of_the_beast(void)
{
	return READ_ONCE(vdso_data()->vnotb);
}
long number_of_the_beast(void) __attribute__((weak, alias("__vdso_number_of_the_beast")));
