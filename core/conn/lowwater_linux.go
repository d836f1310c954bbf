package conn

import (
	"net"
	"syscall"
)

// lowWater wakes the reader of a large response once its bytes have
// arrived, instead of at every segment: SO_RCVLOWAT, the socket's
// receive low-water mark, set to what the frame still needs before each
// read that would wait. Consuming 300 MB in 1 MiB fetch responses, the
// reader otherwise parked and was woken about seven times per response.
//
// The mark is never above the bytes the frame still needs, so a read never
// waits for bytes that will not come; it is put back to 1 once the frame
// is read. Only for plain TCP: under TLS the socket's bytes are records,
// not the frame's.
type lowWater struct {
	rc  syscall.RawConn // nil: not a plain TCP connection
	set int             // the mark in force
}

const (
	// Frames needing less than lowWaterMin bytes more are read as they
	// come: a mark would cost more system calls than it saves.
	lowWaterMin = 64 << 10
	// lowWaterMax bounds the mark (and the receive buffer the kernel grows
	// for it, twice the mark).
	lowWaterMax = 1 << 20
)

func newLowWater(nc net.Conn) lowWater {
	w := lowWater{set: 1}
	if tc, ok := nc.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			w.rc = rc
		}
	}
	return w
}

// need sets the mark for a frame that still needs left bytes (0: the
// frame is read).
func (w *lowWater) need(left int) {
	mark := min(left, lowWaterMax)
	if mark < lowWaterMin {
		mark = 1
	}
	if w.rc == nil || mark == w.set {
		return
	}
	var err error
	if cerr := w.rc.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, mark)
	}); cerr != nil || err != nil {
		w.rc = nil // (a closed socket) reads go on as they come
		return
	}
	w.set = mark
}
