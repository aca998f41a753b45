/* placeholder: being written */
#include "testutil.h"
static Suite *s_(void) { return suite_create("mip6x"); }
int main(void) { return tu_run_suite(s_()); }
