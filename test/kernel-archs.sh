#!/usr/bin/env bash
# Prints the instruction sets the kernel (src/nn.c) is built for that this
# CPU can run, one a line: x86-64 (the baseline), x86-64-v3 (AVX2),
# x86-64-v4 (AVX-512); nothing on another architecture.  glibc's loader
# knows which levels the CPU supports (ld.so --help).
case "$(uname -m)" in
x86_64)
	echo x86-64
	for level in x86-64-v3 x86-64-v4; do
		/lib64/ld-linux-x86-64.so.2 --help 2>/dev/null | grep -q "^ *$level (supported" && echo "$level"
	done
	;;
esac
exit 0
