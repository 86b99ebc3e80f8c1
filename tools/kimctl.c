/* placeholder, replaced by kimctl */
int main(void) { return 0; }
