# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
mkdir p && cd p
for i in 1 2 3 4; do printf 'int f%d(int x) { return x * %d; }\n' $i $i > f$i.c; done
printf '#include <stdio.h>\nint f1(int);int f2(int);int f3(int);int f4(int);\nint main(void){printf("%%d\\n", f1(1)+f2(2)+f3(3)+f4(4));return 0;}\n' > main.c
printf 'OBJS = main.o f1.o f2.o f3.o f4.o\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%%.o: %%.c\n\t$(CC) -O2 -c $< -o $@\n' > Makefile
make -s -j2 CC=gcc && ./prog && make -s -q prog; echo "up to date: $?"
