// HOSTILE four lines of macros whose one error message expands to hundreds of megabytes | expect compile_error,compile_limit
#define A x x x x x x x x x x x x x x x x
#define B A A A A A A A A A A A A A A A A
#define C B B B B B B B B B B B B B B B B
#define D C C C C C C C C C C C C C C C C
#define E D D D D D D D D D D D D D D D D
#define F E E E E E E E E E E E E E E E E
F
int main(void) { return 0; }
