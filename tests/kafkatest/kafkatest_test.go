package kafkatest

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// The broker answers a hand-made ApiVersions v0 request.
func TestBrokerAnswersApiVersions(t *testing.T) {
	env := Brokers(t)
	nc, err := net.DialTimeout("tcp", env.Brokers[0], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := []byte{0, 0, 0, 12, 0, 18, 0, 0, 0, 0, 0, 7, 0, 2, 'k', 't'}
	if _, err := nc.Write(req); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(nc, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(nc, body); err != nil {
		t.Fatal(err)
	}
	if corr, code := binary.BigEndian.Uint32(body), binary.BigEndian.Uint16(body[4:]); corr != 7 || code != 0 {
		t.Fatalf("correlation %d, error code %d", corr, code)
	}
	if n := binary.BigEndian.Uint32(body[6:]); n < 20 {
		t.Fatalf("only %d APIs advertised", n)
	}
}
