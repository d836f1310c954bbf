package conn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// Frames read with the receive low-water mark arrive whole and in order,
// whatever their size and however their bytes are split on the wire, also
// when the sender pauses before a large frame's last bytes (so that the
// reader drains the socket and waits with the mark set), and the mark is
// back to 1 after each frame. (A mark above what the frame still needs
// would not hang here: Linux wakes a reader whose receive window is about
// full whatever its mark; the mark is kept within the frame regardless.)
func TestFramesReadWithTheLowWaterMark(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sizes := []int{3, lowWaterMin - 1, lowWaterMin, 300 << 10, lowWaterMax + 12345, 2*lowWaterMax + 7, 10}
	frame := func(i, n int) []byte {
		f := make([]byte, 4+n)
		binary.BigEndian.PutUint32(f, uint32(n))
		for j := range n {
			f[4+j] = byte(i*31 + j*7)
		}
		return f
	}
	const held = 1000 // bytes held back at the end of a large frame
	sent, read := make(chan error, 1), make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sent <- err
			return
		}
		defer c.Close()
		for i, n := range sizes {
			b := frame(i, n)
			if n >= lowWaterMin {
				if _, err := c.Write(b[:len(b)-held]); err != nil {
					sent <- err
					return
				}
				time.Sleep(20 * time.Millisecond) // the reader's chance to wait mid-frame
				b = b[len(b)-held:]
			}
			if _, err := c.Write(b); err != nil {
				sent <- err
				return
			}
			<-read
		}
		sent <- nil
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReaderSize(nc, 64<<10)
	mark := newLowWater(nc)
	reading := func(left int) {
		if rd.Buffered() == 0 {
			mark.need(left)
		}
	}
	for i, n := range sizes {
		size, err := readFrameSize(rd, 1<<30)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		body, err := readFrameBody(rd, size, nil, reading)
		mark.need(0)
		if err != nil {
			t.Fatalf("frame %d of %d bytes: %v", i, n, err)
		}
		if !bytes.Equal(body, frame(i, n)[4:]) {
			t.Fatalf("frame %d of %d bytes came back different", i, n)
		}
		if mark.set != 1 {
			t.Fatalf("after frame %d the mark is %d, not 1", i, mark.set)
		}
		read <- struct{}{}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}
