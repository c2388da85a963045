#include <stdio.h>

int
main(void)
{

    fprintf(stderr, "coffred: not built yet\n");
    return (1);
}
