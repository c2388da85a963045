#include <stdio.h>

int
main(void)
{

    fprintf(stderr, "coffre: not built yet\n");
    return (1);
}
