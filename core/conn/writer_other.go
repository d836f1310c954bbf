//go:build !linux

package conn

import "syscall"

// Other systems write through the writer goroutine only.
const canSendNoWait = false

func sendNoWait(syscall.RawConn, []byte) (int, error) { return 0, syscall.ENOTSUP }
