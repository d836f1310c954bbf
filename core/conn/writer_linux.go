package conn

import "syscall"

const canSendNoWait = true

// sendNoWait sends what the socket takes of p at once. MSG_NOSIGNAL: the
// caller may be the application's own thread, where a SIGPIPE for a
// closed connection would reach the application.
func sendNoWait(raw syscall.RawConn, p []byte) (int, error) {
	var n int
	var err error
	if cerr := raw.Write(func(fd uintptr) bool {
		n, err = syscall.SendmsgN(int(fd), p, nil, nil, syscall.MSG_NOSIGNAL|syscall.MSG_DONTWAIT)
		return true // never wait for the socket to take more
	}); cerr != nil {
		return 0, cerr
	}
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return 0, nil
	}
	return max(n, 0), err
}
