/* mip6sec: placeholder entry point until the daemon core lands. */
#include <stdio.h>

int main(void)
{
	puts("mip6sec " "0.1.0");
	return 0;
}
