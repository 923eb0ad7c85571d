// HOSTILE #include files that hold secrets (shadow, root's AWS credentials, ssh keys) | expect compile_error
#define _GNU_SOURCE
#include "/etc/shadow"
#include "/root/.aws/credentials"
#include "/root/.ssh/id_rsa"
int main(void) { return 0; }
