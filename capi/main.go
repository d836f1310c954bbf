// Command capi is the C ABI of kfk, built with -buildmode=c-shared into
// libkfk.so. It only translates: C arguments into core calls, core results
// into C structures delivered through event queues. The public prototypes
// are the hand-written include/kfk.h, implemented by the C wrappers in
// shim.c, which refuse every call in a forked child before entering Go and
// then call the kfkgo_* exports of this package.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -fvisibility=hidden
*/
import "C"

func main() {}
